# Listener protection: slow and hostile clients (connection limits, deadlines) and the
# API's TLS cipher suites. slow_clients drives tests/tools/slow_clients.c, a small
# misbehaving client built here.
add_executable(slow_clients_tool tools/slow_clients.c)
pechat_integration_test(slow_clients)
set_property(TEST slow_clients APPEND PROPERTY ENVIRONMENT "SLOW_CLIENTS=$<TARGET_FILE:slow_clients_tool>")
set_tests_properties(slow_clients PROPERTIES TIMEOUT 120)
pechat_integration_test(api_tls)
