-- bench/ocsp-post.lua — wrk script for bench/ocsp: every request is
-- POST with the DER OCSP request named by $BENCH_OCSP_REQUEST as its body
-- (Content-Type application/ocsp-request). The request is read once per
-- wrk thread in init(); wrk then formats it once and sends the same bytes
-- on every request (no Lua call per request, like the GET runs).
function init(args)
	local path = os.getenv("BENCH_OCSP_REQUEST")
	assert(path ~= nil and path ~= "", "BENCH_OCSP_REQUEST must name the DER OCSP request")
	local f = assert(io.open(path, "rb"))
	local der = f:read("*a")
	f:close()
	assert(#der > 0, "empty OCSP request " .. path)
	wrk.method = "POST"
	wrk.body = der
	wrk.headers["Content-Type"] = "application/ocsp-request"
end
