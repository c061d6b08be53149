/**
 * The one module that imports onnxruntime-node. Everything else in the project reaches
 * ONNX Runtime through runtime/.
 */
import * as ort from 'onnxruntime-node';

export { ort };
