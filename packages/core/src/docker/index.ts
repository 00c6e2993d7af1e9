// core/docker: one DOCKER_HOST parser and one way to connect.

export * from './docker-host';
export * from './connect';
export * from './engine-http';
