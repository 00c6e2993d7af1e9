// The timing helper runs and its template renders every service (a smoke test: the bench measures, not mocha).

import { expect } from 'chai';
import { measureGoTemplateRender } from './render-timing';

describe('gotemplate render timing helper', () => {
  it('renders the nginx example over many services', () => {
    const timing = measureGoTemplateRender(50, 2, 2);
    expect(timing.outputBytes).to.be.greaterThan(50 * 100);
    expect(timing.medianMs).to.be.greaterThan(0);
  });
});
