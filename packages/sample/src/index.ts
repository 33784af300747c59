/**
 * `@socket-oneline/sample` (private): the sample server, the sample client
 * and the doit story.
 * @packageDocumentation
 */
export { createSampleServer, sampleAnswer, type SampleServerOptions } from './sample-server.js';
export { StoryClient, StoryError, type TranscriptEntry } from './sample-client.js';
export { runStory, main as doit, type StoryOptions, type StoryResult } from './doit.js';
export { createDeviceServer, buildScreen, type Device, type Widget } from './device.js';
export { runJsonStory, main as jsonStory } from './json-story.js';
