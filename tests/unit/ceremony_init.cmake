# `pechat init` (ceremony/init.c, credentials.c, files.c): files, modes, store rows, idempotence, key references.
pechat_unit_test(test_ceremony_init pechat_ca_fixture)
# pechatd links no ceremony/ code and no PKCS#12 export (nm of the binaries).
add_test(NAME daemon_links COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tools/daemon_links.sh $<TARGET_FILE:pechatd>
    $<TARGET_FILE:pechat> $<TARGET_FILE:pechat_ceremony> ${CMAKE_NM})
set_tests_properties(daemon_links PROPERTIES LABELS unit TIMEOUT 60)
