{
  # The CoreML addon builds on macOS only; everywhere else this file builds nothing (type: none), so that
  # `pnpm install` on Linux never needs a compiler or Node's headers for it.
  "variables": {
    # The addon is named after its platform, as sharp names its own (run-coreml-darwin-arm64.node).
    "platform_and_arch": "<!(node -p \"process.platform + '-' + process.arch\")"
  },
  "targets": [
    {
      "target_name": "run-coreml-<(platform_and_arch)",
      "conditions": [
        [
          'OS=="mac"',
          {
            "type": "loadable_module",
            "product_extension": "node",
            "sources": [
              "src/addon.mm",
              "src/model.mm",
              "src/convert.mm",
              "src/tensors.mm",
              "src/describe.mm",
              "src/compile.mm",
              "src/plan.mm"
            ],
            "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
            "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NAPI_CPP_EXCEPTIONS"],
            "cflags!": ["-fno-exceptions"],
            "cflags_cc!": ["-fno-exceptions"],
            "libraries": ["-framework CoreML", "-framework Foundation"],
            "xcode_settings": {
              "CLANG_ENABLE_OBJC_ARC": "YES",
              "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
              "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
              "MACOSX_DEPLOYMENT_TARGET": "13.0",
              "OTHER_CPLUSPLUSFLAGS": ["-fobjc-arc"]
            }
          },
          { "type": "none" }
        ]
      ]
    }
  ]
}
