# Driven by ctest (see CMakeLists.txt): build the SDK, install its "sdk"
# component into BUILD_DIR/sdk-install, configure, build and run the
# consumer project against that prefix, then the C-only one (c_project) in
# Debug and Release. Fails on the first failing step.
function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGV}")
  endif()
endfunction()

set(prefix ${BUILD_DIR}/sdk-install)
set(consumer ${BUILD_DIR}/sdk-consumer)
file(REMOVE_RECURSE ${prefix} ${consumer})
run(${CMAKE_COMMAND} --build ${BUILD_DIR} --target mayday_sdk mayday_proto mayday_base)
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --component sdk --prefix ${prefix})
set(ENV{PKG_CONFIG_PATH} ${prefix}/${LIBDIR}/pkgconfig)
run(${CMAKE_COMMAND} -S ${PROJECT_DIR} -B ${consumer} -G ${GENERATOR}
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${prefix}
    -DMAYDAY_EXAMPLE_C=${EXAMPLE_C}
    "-DCMAKE_CXX_FLAGS=${CXX_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${EXE_LINKER_FLAGS}")
run(${CMAKE_COMMAND} --build ${consumer} -j2)
run(${consumer}/consumer)
# The C example without arguments prints its usage and exits 2.
execute_process(COMMAND ${consumer}/panic_c RESULT_VARIABLE rc
                ERROR_VARIABLE usage)
if(NOT rc EQUAL 2 OR NOT usage MATCHES "usage: mayday-panic-c")
  message(FATAL_ERROR "panic_c: exit ${rc}, stderr: ${usage}")
endif()
run(${consumer}/version_pc)

# A C-only app (no C++ enabled, linked by the C compiler), in a Debug and a
# Release build: the CMake package and pkg-config must bring the C++
# runtime, and an app's configuration need not match the SDK's.
# Under clang's sanitizers the libraries' C++ checks need the sanitizer's
# C++ runtime, and it the C++ library, which a C link leaves out unless
# asked.
set(c_link_flags "${EXE_LINKER_FLAGS}")
if(C_COMPILER MATCHES "clang" AND EXE_LINKER_FLAGS MATCHES "-fsanitize")
  string(APPEND c_link_flags " -fsanitize-link-c++-runtime -lstdc++")
endif()
foreach(config Debug Release)
  set(c_consumer ${BUILD_DIR}/sdk-consumer-c-${config})
  file(REMOVE_RECURSE ${c_consumer})
  run(${CMAKE_COMMAND} -S ${C_PROJECT_DIR} -B ${c_consumer} -G ${GENERATOR}
      -DCMAKE_BUILD_TYPE=${config} -DCMAKE_PREFIX_PATH=${prefix}
      -DCMAKE_C_COMPILER=${C_COMPILER} -DMAYDAY_EXAMPLE_C=${EXAMPLE_C}
      "-DCMAKE_C_FLAGS=${CXX_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${c_link_flags}")
  run(${CMAKE_COMMAND} --build ${c_consumer} -j2)
  execute_process(COMMAND ${c_consumer}/panic_c RESULT_VARIABLE rc ERROR_VARIABLE usage)
  if(NOT rc EQUAL 2 OR NOT usage MATCHES "usage: mayday-panic-c")
    message(FATAL_ERROR "C-only panic_c (${config}): exit ${rc}, stderr: ${usage}")
  endif()
  run(${c_consumer}/version_pc)
endforeach()
message(STATUS "consumer OK")
