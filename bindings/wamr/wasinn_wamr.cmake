# wasinn_wamr.cmake - add libwasinn's WAMR glue to a CMake build of WAMR.
#
# Include this file BEFORE WAMR's build-scripts/runtime_lib.cmake:
#
#   include(/path/to/libwasinn/bindings/wamr/wasinn_wamr.cmake)
#   include(${WAMR_ROOT_DIR}/build-scripts/runtime_lib.cmake)
#   add_library(vmlib STATIC ${WAMR_RUNTIME_LIB_SOURCE})
#   add_executable(my_host main.c ${WASINN_WAMR_SOURCES})
#   target_include_directories(my_host PRIVATE ${WASINN_WAMR_INCLUDE_DIRS})
#   target_link_libraries(my_host PRIVATE vmlib wasinn::wasinn)
#
# It sets what the glue needs from WAMR:
# - WAMR_BUILD_MODULE_INST_CONTEXT=1: the glue keeps one libwasinn instance per module instance
#   under a context key (wasm_runtime_create_context_key). WAMR turns the feature on by itself
#   only together with libc-wasi, uvwasi or its own wasi-nn; without it a build lacking libc-wasi
#   fails to link ("undefined reference to wasm_runtime_create_context_key").
# - WAMR_BUILD_WASI_NN=0: WAMR's own wasi-nn would register the same import modules.
# and defines WASINN_WAMR_SOURCES and WASINN_WAMR_INCLUDE_DIRS. libwasinn itself comes from
# find_package(wasinn), which this file calls when the target wasinn::wasinn does not exist yet.
if(DEFINED WAMR_BUILD_WASI_NN AND WAMR_BUILD_WASI_NN)
  message(FATAL_ERROR "wasinn_wamr.cmake: WAMR_BUILD_WASI_NN must be 0 (libwasinn serves wasi-nn)")
endif()
set(WAMR_BUILD_WASI_NN 0)
set(WAMR_BUILD_MODULE_INST_CONTEXT 1)

set(WASINN_WAMR_DIR "${CMAKE_CURRENT_LIST_DIR}")
set(WASINN_WAMR_SOURCES "${WASINN_WAMR_DIR}/wasinn_wamr.c")
set(WASINN_WAMR_INCLUDE_DIRS "${WASINN_WAMR_DIR}")
if(NOT TARGET wasinn::wasinn)
  find_package(wasinn REQUIRED)
endif()
find_package(Threads REQUIRED)
