{
  "targets": [
    {
      "target_name": "pilotscope_native",
      "sources": ["<!@(node native/tools/sources.cjs all)"],
      "include_dirs": ["native/core"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "defines": [
        "NAPI_VERSION=8",
        "PILOTSCOPE_SOURCE_HASH=\"<!(node native/tools/source-hash.cjs)\""
      ],
      "cflags_cc": ["-std=c++17", "-O3", "-ffp-contract=fast", "-fexceptions", "-Wall", "-Wextra", "-Wno-psabi"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++1y"]
    }
  ]
}
