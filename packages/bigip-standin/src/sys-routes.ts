// /mgmt/tm/sys: the version F5's modules read from its selfLink, sys/version, sys/provision, sys/folder.
import { selfLink, sysVersionBody } from './bigip-version';
import { mcpd, rest } from './errors';
import type { LtmReply } from './ltm-routes';
import type { LtmConfig } from './ltm-config';
import { folderBody, updateFolder } from './partitions';

/** Modules a 15.1 box can provision; the stand-in is an LTM-only box. */
const PROVISIONABLE = ['afm', 'am', 'apm', 'asm', 'avr', 'cgnat', 'dos', 'fps', 'gtm', 'ilx', 'lc', 'ltm', 'pem', 'sslo', 'swg', 'urldb'];

function provisionBody(): Record<string, unknown> {
  return {
    kind: 'tm:sys:provision:provisioncollectionstate',
    selfLink: selfLink('/mgmt/tm/sys/provision'),
    items: PROVISIONABLE.map((name) => ({
      kind: 'tm:sys:provision:provisionstate',
      name,
      fullPath: name,
      generation: 1,
      selfLink: selfLink(`/mgmt/tm/sys/provision/${name}`),
      cpuRatio: 0,
      diskRatio: 0,
      level: name === 'ltm' ? 'nominal' : 'none',
      memoryRatio: 0,
    })),
  };
}

/** The sys components whose references `GET /mgmt/tm/sys` lists (the ones the stand-in answers). */
const SYS_COMPONENTS = ['folder', 'provision', 'version'];

/** Handles a /mgmt/tm/sys path (trailing slash already removed); anything else is restjavad's 404. */
export function sysRoute(config: LtmConfig, method: string, path: string, body: unknown): LtmReply {
  if (path === '/mgmt/tm/sys') {
    if (method !== 'GET') throw rest.methodNotAllowed(method, path, ['GET']);
    // F5's modules read the TMOS version from this selfLink's ?ver= (module_utils/icontrol.py tmos_version).
    const items = SYS_COMPONENTS.map((name) => ({ reference: { link: selfLink(`/mgmt/tm/sys/${name}`) } }));
    return { status: 200, body: { kind: 'tm:sys:syscollectionstate', selfLink: selfLink('/mgmt/tm/sys'), items } };
  }
  if (path === '/mgmt/tm/sys/version' || path === '/mgmt/tm/sys/provision') {
    if (method !== 'GET') throw rest.methodNotAllowed(method, path, ['GET']);
    return { status: 200, body: path.endsWith('version') ? sysVersionBody() : provisionBody() };
  }
  const folder = /^\/mgmt\/tm\/sys\/folder\/~([^/~]+)$/.exec(path);
  if (folder) {
    const partition = config.partitions.get(folder[1]!);
    if (!partition) throw mcpd.folderNotFound(`/${folder[1]}`);
    if (method === 'GET') return { status: 200, body: folderBody(partition) };
    if (method === 'PATCH') return { status: 200, body: folderBody(updateFolder(config, folder[1]!, body)) };
    throw rest.methodNotAllowed(method, path, ['GET', 'PATCH']);
  }
  throw rest.uriNotRegistered(path);
}
