// Runs ansible-playbook on localhost with the JSON stdout callback, confined to a scratch directory.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Where Debian's ansible package puts F5's collection. */
export const F5_COLLECTION = '/usr/lib/python3/dist-packages/ansible_collections/f5networks/f5_modules';

export interface HostResult {
  changed: boolean;
  failed?: boolean;
  msg?: string;
  [key: string]: unknown;
}

export interface TaskResult {
  name: string;
  action: string;
  result: HostResult;
}

export interface PlaybookRun {
  tasks: TaskResult[];
  stats: Record<string, { changed: number; failures: number; ok: number; unreachable: number }>;
  durationMs: number;
}

interface JsonCallbackOutput {
  plays: Array<{ tasks: Array<{ task: { name: string }; hosts: Record<string, HostResult & { action?: string }> }> }>;
  stats: PlaybookRun['stats'];
}

export function ansibleAvailable(): string | undefined {
  if (!existsSync('/usr/bin/ansible-playbook')) return 'ansible-playbook is not installed (apt-get install ansible)';
  if (!existsSync(join(F5_COLLECTION, 'plugins/modules/bigip_pool.py'))) return `F5's collection is not at ${F5_COLLECTION}`;
  if (!existsSync('/usr/lib/python3/dist-packages/ansible_collections/ansible/posix/plugins/callback/json.py')) return 'the ansible.posix.json callback is missing';
  return undefined;
}

/**
 * Runs `playbook` against localhost (connection local) with `extraVars`. Ansible's own state
 * (ANSIBLE_HOME, local and remote temp) lives under `scratch`, and the process runs there so no
 * ansible.cfg of the checkout applies. F5_TELEMETRY_OFF keeps F5's modules from posting telemetry.
 */
export function runPlaybook(playbook: string, extraVars: Record<string, string | number>, scratch: string, timeoutMs: number): Promise<PlaybookRun> {
  const started = Date.now();
  const args = ['-i', 'localhost,', playbook, ...Object.entries(extraVars).flatMap(([key, value]) => ['-e', `${key}=${value}`])];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    LANG: 'C.UTF-8',
    HOME: scratch,
    ANSIBLE_HOME: scratch,
    ANSIBLE_LOCAL_TEMP: join(scratch, 'tmp'),
    ANSIBLE_REMOTE_TEMP: join(scratch, 'remote-tmp'),
    ANSIBLE_STDOUT_CALLBACK: 'ansible.posix.json',
    ANSIBLE_PYTHON_INTERPRETER: '/usr/bin/python3',
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_RETRY_FILES_ENABLED: '0',
    F5_TELEMETRY_OFF: 'true',
    // Nothing but the stand-in on loopback: no proxy may step in.
    NO_PROXY: '*',
    // The module goes to python's stdin instead of a temp file per task (local connection supports it).
    ANSIBLE_PIPELINING: '1',
  };
  return new Promise((resolve, reject) => {
    execFile('ansible-playbook', args, { cwd: scratch, env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      let output: JsonCallbackOutput;
      try {
        output = JSON.parse(stdout.slice(stdout.indexOf('{'))) as JsonCallbackOutput;
      } catch {
        reject(new Error(`ansible-playbook printed no JSON (${error?.message ?? 'exit 0'}):\n${stdout.slice(0, 4000)}\n${stderr.slice(0, 4000)}`));
        return;
      }
      const tasks = output.plays.flatMap((play) => play.tasks.map((task) => {
        const result = task.hosts.localhost!;
        return { name: task.task.name, action: String(result.action ?? ''), result };
      }));
      resolve({ tasks, stats: output.stats, durationMs: Date.now() - started });
    });
  });
}
