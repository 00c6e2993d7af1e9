// The Lua check (act/lua-check.ts) at the path the image's smoke test loads: dist/lua-check.js.

export * from './act/lua-check';
