# Hostile public-listener inputs: CRL paths, log injection and amplification (hostile_inputs.sh).
pechat_integration_test(hostile_inputs)
set_tests_properties(hostile_inputs PROPERTIES TIMEOUT 120)
