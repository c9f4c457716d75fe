# hsm/'s token presence watcher against pcscd with the vsmartcard vpcd driver and a virtual
# card (tests/tools/vpcd_card.py); skipped (77) without root, pcscd or vsmartcard-vpcd, or when
# another pcscd runs (its socket is machine-wide: one such test at a time).
add_executable(presence_watch_tool tools/presence_watch.c)
target_link_libraries(presence_watch_tool PRIVATE pechat_hsm)
pechat_integration_test(pcsc_presence)
set_property(TEST pcsc_presence APPEND PROPERTY ENVIRONMENT "PRESENCE_WATCH=$<TARGET_FILE:presence_watch_tool>")
set_tests_properties(pcsc_presence PROPERTIES SKIP_RETURN_CODE 77 RESOURCE_LOCK pcscd TIMEOUT 120)
