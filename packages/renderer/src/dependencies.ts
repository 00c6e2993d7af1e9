// The dependency kinds templates read (observe/), under the name template engines import them by.

export * from './observe';
