/** @module The web console of `roster serve`. */

export { type ConsolePage, type ConsoleRoutes, registerConsole } from './console.js';
export { CONSOLE_PAGES } from './pages/index.js';
