// `nginx -t` does not run Lua (init_by_lua is skipped in test mode), so the shipped Lua files are checked by
// nginx's own LuaJIT: a throwaway nginx (no master, no listener, its own prefix) whose init_by_lua_block loads and
// configures consul_sidecars.upstreams and exits. A broken or missing Lua file fails it, and the renderer then
// writes and pushes nothing for that template: the live config stays as it is.

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian's nginx-extras keeps the modules the Lua mode needs (loaded by modules-enabled/ on a node). */
export const DEBIAN_LUA_MODULES: readonly string[] = ['/usr/lib/nginx/modules/ndk_http_module.so', '/usr/lib/nginx/modules/ngx_http_lua_module.so'];

export interface LuaCheckOptions {
  /** The nginx binary (default `nginx` on PATH). */
  nginx?: string;
  luaDir: string;
  /** Dynamic modules to load; default the Debian ones that exist (none for an nginx with Lua built in). */
  modules?: readonly string[];
  timeoutMs?: number;
}

export interface LuaCheckResult {
  ok: boolean;
  output: string;
}

export function luaCheckConfig(prefix: string, luaDir: string, modules: readonly string[]): string {
  return `${modules.map((m) => `load_module ${m};\n`).join('')}error_log stderr warn;
pid ${join(prefix, 'check.pid')};
events {}
http {
    lua_package_path "${luaDir}/?.lua;;";
    lua_shared_dict consul_sidecars_upstreams 1m;
    init_by_lua_block {
        local ok, err = pcall(function() require("consul_sidecars.upstreams").configure({}) end)
        if not ok then
            io.stderr:write("consul_sidecars Lua check failed: ", tostring(err), "\\n")
            os.exit(1)
        end
        io.stdout:write("consul_sidecars Lua check ok\\n")
        os.exit(0)
    }
}
`;
}

export function checkLuaModule(options: LuaCheckOptions): Promise<LuaCheckResult> {
  const prefix = mkdtempSync(join(tmpdir(), 'renderer-lua-check-'));
  const modules = options.modules ?? DEBIAN_LUA_MODULES.filter((m) => existsSync(m));
  const conf = join(prefix, 'check.conf');
  writeFileSync(conf, luaCheckConfig(prefix, options.luaDir, modules));
  const nginx = options.nginx ?? 'nginx';
  return new Promise((resolve) => {
    execFile(nginx, ['-p', `${prefix}/`, '-c', conf, '-e', 'stderr', '-g', 'daemon off; master_process off;'], { timeout: options.timeoutMs ?? 10_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      rmSync(prefix, { recursive: true, force: true });
      const output = `${stdout}${stderr}`.trim();
      // Exit 0 and our line: the module loaded (a config error would also exit non-zero, with nginx's message).
      resolve({ ok: !err && stdout.includes('consul_sidecars Lua check ok'), output: output || (err ? String(err.message) : '') });
    });
  });
}
