// The compose file of a demo/test web project: busybox httpd instances answering their hostname on a loopback
// port, with the registrator labels that publish them as `site` (tag http, an HTTP check every second).

import { ensureBusyboxImage } from './docker-images';

export function webComposeYaml(options: { site: string; label: string; value: string }): string {
  return `version: "2.4"
services:
  web:
    image: ${ensureBusyboxImage()}
    command: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www"]
    ports: ["127.0.0.1::80"]
    labels:
      ${options.label}: "${options.value}"
      SERVICE_NAME: "${options.site}"
      SERVICE_TAGS: "http"
      SERVICE_CHECK_HTTP: "/"
      SERVICE_CHECK_INTERVAL: "1s"
`;
}
