/** Post-processing shared by every model family: activations, top-k, vector maths, NMS. */
export * from './math.js';
export * from './nms.js';
