# One helper per kind of target, used by every folder's CMakeLists.txt
# (the pattern of Abseil's absl_cc_library / absl_cc_test).
#
#   sluss_cc_library(NAME n SRCS ... [HDRS ...] [DEPS ...] [PUBLIC_DEPS ...])
#     -> target sluss_<n>, alias sluss::<n>
#   sluss_cc_binary(NAME n SRCS ... DEPS ...)      -> executable n in bin/
#   sluss_cc_test(NAME n SRCS ... DEPS ... [LABELS ...] [TIMEOUT s])
#     -> gtest executable, tests discovered by ctest
#   sluss_proto_library(NAME n ROOT dir PROTOS rel.proto ...)
#     -> target sluss_<n>, alias sluss::<n>: protoc + gRPC plugin over the
#        given files (paths relative to ROOT, which is also the import root)
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

function(sluss_proto_library)
  cmake_parse_arguments(P "" "NAME;ROOT" "PROTOS" ${ARGN})
  set(target sluss_${P_NAME})
  set(gen_dir ${CMAKE_CURRENT_BINARY_DIR}/gen)
  file(MAKE_DIRECTORY ${gen_dir})
  set(all_protos)
  foreach(rel ${P_PROTOS})
    list(APPEND all_protos ${P_ROOT}/${rel})
  endforeach()
  set(srcs)
  foreach(rel ${P_PROTOS})
    string(REGEX REPLACE "\\.proto$" "" base ${rel})
    set(outs ${gen_dir}/${base}.pb.cc ${gen_dir}/${base}.pb.h
             ${gen_dir}/${base}.grpc.pb.cc ${gen_dir}/${base}.grpc.pb.h)
    # Each output depends on every file of the set: imports are within it.
    add_custom_command(
      OUTPUT ${outs}
      COMMAND protobuf::protoc --proto_path=${P_ROOT} --cpp_out=${gen_dir} --grpc_out=${gen_dir}
        --plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin> ${rel}
      WORKING_DIRECTORY ${P_ROOT}
      DEPENDS ${all_protos} protobuf::protoc gRPC::grpc_cpp_plugin
      COMMENT "protoc ${rel}")
    list(APPEND srcs ${outs})
  endforeach()
  add_library(${target} STATIC ${srcs})
  add_library(sluss::${P_NAME} ALIAS ${target})
  # Generated code: SYSTEM include so project warnings do not apply to it.
  target_include_directories(${target} SYSTEM PUBLIC ${gen_dir})
  target_link_libraries(${target} PUBLIC gRPC::grpc++ protobuf::libprotobuf)
  if(SLUSS_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()
