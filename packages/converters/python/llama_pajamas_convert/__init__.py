"""llama-pajamas converters: PyTorch → CoreML (+ ONNX) with a parity gate. Run `python -m llama_pajamas_convert -h`."""
