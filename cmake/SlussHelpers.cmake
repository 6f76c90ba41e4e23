# One helper per kind of target, used by every folder's CMakeLists.txt
# (the pattern of Abseil's absl_cc_library / absl_cc_test).
#
#   sluss_cc_library(NAME n SRCS ... [HDRS ...] [DEPS ...] [PUBLIC_DEPS ...])
#     -> target sluss_<n>, alias sluss::<n>
#   sluss_cc_binary(NAME n SRCS ... DEPS ...)      -> executable n in bin/
#   sluss_cc_test(NAME n SRCS ... DEPS ... [LABELS ...] [TIMEOUT s])
#     -> gtest executable, tests discovered by ctest
#
# Project code builds with strict warnings as errors; generated code and
# third-party headers are included as SYSTEM so they do not trip them.

set(SLUSS_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Werror)

function(_sluss_common target)
  target_compile_options(${target} PRIVATE ${SLUSS_WARNINGS})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
  if(SLUSS_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

function(sluss_cc_library)
  cmake_parse_arguments(L "" "NAME" "SRCS;HDRS;DEPS;PUBLIC_DEPS" ${ARGN})
  set(target sluss_${L_NAME})
  if(L_SRCS)
    add_library(${target} STATIC ${L_SRCS} ${L_HDRS})
    _sluss_common(${target})
    target_link_libraries(${target} PUBLIC ${L_PUBLIC_DEPS} PRIVATE ${L_DEPS})
  else()
    add_library(${target} INTERFACE ${L_HDRS})
    target_include_directories(${target} INTERFACE ${PROJECT_SOURCE_DIR})
    target_link_libraries(${target} INTERFACE ${L_PUBLIC_DEPS} ${L_DEPS})
  endif()
  add_library(sluss::${L_NAME} ALIAS ${target})
endfunction()

function(sluss_cc_binary)
  cmake_parse_arguments(B "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${B_NAME} ${B_SRCS})
  _sluss_common(${B_NAME})
  target_link_libraries(${B_NAME} PRIVATE ${B_DEPS})
endfunction()

function(sluss_cc_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${T_NAME} ${T_SRCS})
  _sluss_common(${T_NAME})
  target_link_libraries(${T_NAME} PRIVATE ${T_DEPS} GTest::gmock GTest::gtest_main)
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  if(NOT T_LABELS)
    set(T_LABELS unit)
  endif()
  gtest_discover_tests(${T_NAME}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
    DISCOVERY_TIMEOUT 60)
endfunction()

function(sluss_cc_bench)
  cmake_parse_arguments(B "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${B_NAME} ${B_SRCS})
  _sluss_common(${B_NAME})
  target_link_libraries(${B_NAME} PRIVATE ${B_DEPS} benchmark::benchmark)
endfunction()
