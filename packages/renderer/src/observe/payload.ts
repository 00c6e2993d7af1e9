// Small helpers the query kinds share.

export { compareText } from '@consul-sidecars/core';
