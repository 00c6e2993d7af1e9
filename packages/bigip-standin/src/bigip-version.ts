// The TMOS version the stand-in claims, the selfLinks that carry it, and GET /mgmt/tm/sys/version.

export const TMOS_VERSION = '15.1.0';
const BUILD = '0.0.31';

/** BIG-IP writes selfLinks against "localhost" whatever address the client used, with ?ver=. */
export function selfLink(mgmtPath: string): string {
  return `https://localhost${mgmtPath}?ver=${TMOS_VERSION}`;
}

export function sysVersionBody(): Record<string, unknown> {
  const entry = (description: string) => ({ description });
  return {
    kind: 'tm:sys:version:versionstats',
    selfLink: selfLink('/mgmt/tm/sys/version'),
    entries: {
      'https://localhost/mgmt/tm/sys/version/0': {
        nestedStats: {
          entries: {
            Build: entry(BUILD),
            Date: entry('Mon Oct 28 21:35:12 PDT 2019'),
            Edition: entry('Final'),
            Product: entry('BIG-IP'),
            Title: entry('Main Package'),
            Version: entry(TMOS_VERSION),
          },
        },
      },
    },
  };
}
