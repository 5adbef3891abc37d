# -*- Python -*-
# lit configuration of Tessel's tests: test/<area>/... mirrors the source tree.
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "Tessel"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.tessel_obj_root, "test")
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "unit", "gpu", "Inputs"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%tessel_src", config.tessel_src_root))
config.substitutions.append(("%tessel_obj", config.tessel_obj_root))
config.substitutions.append(("%ptxas", "/usr/local/cuda/bin/ptxas"))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()

# FileCheck, not, count come from LLVM's tools directory (Debian: /usr/lib/llvm-22/bin).
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.tessel_tools_dir, append_path=True)

tool_dirs = [config.tessel_tools_dir, config.llvm_tools_dir]
tools = ["tessel-opt", "tessel-translate", "tessel-run"]
llvm_config.add_tool_substitutions(tools, tool_dirs)

# cuobjdump (scripts/install-deps.sh installs NVIDIA's wheel under /opt/tessel-tools) lets
# tests read the SASS that ptxas makes; without it they are unsupported.
for candidate in [os.environ.get("TESSEL_CUOBJDUMP", ""),
                  os.path.join(os.environ.get("TESSEL_TOOLS_DIR", "/opt/tessel-tools"), "bin", "cuobjdump"),
                  "/usr/local/cuda/bin/cuobjdump"]:
    if candidate and os.access(candidate, os.X_OK):
        config.available_features.add("cuobjdump")
        config.substitutions.append(("%cuobjdump", candidate))
        break
