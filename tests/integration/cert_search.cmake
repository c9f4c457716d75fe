# Certificate search, a portal's scope and the owner view (GET /api/v1/certificates).
pechat_integration_test(cert_search)
