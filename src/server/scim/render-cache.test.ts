import { describe, expect, it } from 'vitest';
import { account } from '../../store/contract.testkit.js';
import { cachedRender, renderKey } from './render-cache.js';

describe('rendered users are reused only for the same content', () => {
  it('the same account and groups render once; a changed field or group renders anew; entries are frozen', () => {
    const owner = {};
    let renders = 0;
    const render = (name: string) => () => {
      renders++;
      return { id: '1', name: { givenName: name } };
    };
    const ada = account('app', '1', { firstName: 'Ada' });
    const first = cachedRender(owner, renderKey(ada, []), render('Ada'));
    expect(cachedRender(owner, renderKey({ ...ada }, []), render('Ada'))).toBe(first);
    expect(renders).toBe(1);
    cachedRender(owner, renderKey({ ...ada, firstName: 'Ada L.' }, []), render('Ada L.'));
    cachedRender(owner, renderKey(ada, [{ id: 'g1', name: 'Eng' }]), render('Ada'));
    cachedRender({}, renderKey(ada, []), render('Ada'));
    expect(renders).toBe(4);
    expect(Object.isFrozen(first) && Object.isFrozen(first['name'])).toBe(true);
    expect(() => {
      (first['name'] as Record<string, unknown>)['givenName'] = 'changed';
    }).toThrow(TypeError);
  });

  it("the app's raw payload is not part of the key (a sync that only re-reads it keeps the rendering)", () => {
    const ada = account('app', '1');
    expect(renderKey({ ...ada, raw: { a: 1 } } as typeof ada, [])).toBe(renderKey(ada, []));
  });
});
