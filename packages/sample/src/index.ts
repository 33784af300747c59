/**
 * `@socket-oneline/sample` (private): the sample server, the sample client
 * and the doit story.
 * @packageDocumentation
 */
export { createSampleServer, sampleAnswer, type SampleServerOptions } from './sample-server.js';
export { StoryClient, StoryError, type TranscriptEntry } from './sample-client.js';
export { runStory, main as doit, type StoryOptions, type StoryResult } from './doit.js';
