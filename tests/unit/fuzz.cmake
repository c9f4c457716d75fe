# Fuzz targets of tests/fuzz/ (README.md there). Label "fuzz".
#
# Every build (gcc or clang, any build type): one replay executable per
# target (the target + tests/fuzz/replay.c, no libFuzzer) and one ctest case
# fuzz_<target> that runs it over tests/fuzz/corpus/<target>/.
# Reproducers of open bugs live in tests/fuzz/crashes/<target>/: they are
# registered as fuzz_<target>_crashes with DISABLED set (reported as "Not
# Run", never failing the suite); once the bug is fixed, move the files
# into the corpus.
#
# -DPECHAT_FUZZ=ON with clang (CC=clang): additionally real libFuzzer
# binaries fuzz_<target> (-fsanitize=fuzzer,address,undefined), with every
# pechat library instrumented for coverage (fuzzer-no-link) and sanitizers.
# With any other compiler the option only prints a warning.
set(PECHAT_FUZZ_TARGETS csr ocsp_request base64 routes text poa_xml keyref dn)
list(APPEND PECHAT_FUZZ_TARGETS lint)
set(PECHAT_FUZZ_LIBS_lint pechat_ca)
set(PECHAT_FUZZ_LIBS_csr pechat_ca)
set(PECHAT_FUZZ_LIBS_ocsp_request pechat_ca)
set(PECHAT_FUZZ_LIBS_base64 pechat_common)
set(PECHAT_FUZZ_LIBS_routes pechat_web)
set(PECHAT_FUZZ_LIBS_text pechat_common)
set(PECHAT_FUZZ_LIBS_poa_xml pechat_ra)
set(PECHAT_FUZZ_LIBS_keyref pechat_hsm)
set(PECHAT_FUZZ_LIBS_dn pechat_ceremony)
set(PECHAT_FUZZ_DIR ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)

foreach(t ${PECHAT_FUZZ_TARGETS})
  add_executable(fuzz_${t}_replay fuzz/fuzz_${t}.c fuzz/replay.c)
  target_link_libraries(fuzz_${t}_replay PRIVATE ${PECHAT_FUZZ_LIBS_${t}})
  add_test(NAME fuzz_${t} COMMAND fuzz_${t}_replay ${PECHAT_FUZZ_DIR}/corpus/${t})
  set_tests_properties(fuzz_${t} PROPERTIES LABELS fuzz)
  file(GLOB _crashes ${PECHAT_FUZZ_DIR}/crashes/${t}/*)
  if(_crashes)
    add_test(NAME fuzz_${t}_crashes COMMAND fuzz_${t}_replay ${PECHAT_FUZZ_DIR}/crashes/${t})
    set_tests_properties(fuzz_${t}_crashes PROPERTIES LABELS fuzz DISABLED TRUE)
  endif()
endforeach()

option(PECHAT_FUZZ "Build libFuzzer targets (clang only)" OFF)
if(PECHAT_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(WARNING "PECHAT_FUZZ needs clang (CC=clang): libFuzzer targets not built")
  else()
    set(_san address,undefined)
    foreach(lib pechat_common pechat_config pechat_db pechat_hsm pechat_ca pechat_ceremony pechat_ra pechat_web)
      if(TARGET ${lib})
        target_compile_options(${lib} PRIVATE -fsanitize=fuzzer-no-link,${_san} -fno-omit-frame-pointer -g)
        # whatever links an instrumented library needs the sanitizer runtimes
        target_link_options(${lib} INTERFACE -fsanitize=${_san})
      endif()
    endforeach()
    foreach(t ${PECHAT_FUZZ_TARGETS})
      add_executable(fuzz_${t} fuzz/fuzz_${t}.c)
      target_compile_options(fuzz_${t} PRIVATE -fsanitize=fuzzer,${_san} -fno-omit-frame-pointer -g)
      target_link_options(fuzz_${t} PRIVATE -fsanitize=fuzzer,${_san})
      target_link_libraries(fuzz_${t} PRIVATE ${PECHAT_FUZZ_LIBS_${t}})
    endforeach()
  endif()
endif()
