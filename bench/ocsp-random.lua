-- bench/ocsp-random.lua — wrk script for bench/ocsp's scale mode (BENCH_CERTS):
-- every request is GET of one of the URL paths listed in $BENCH_OCSP_PATHS
-- (one "/ocsp/{URL-encoded base64}" a line), picked uniformly at random; the
-- same script and paths for pechatd and nginx. One Lua call per request.
local paths = {}

function init(args)
	local path = os.getenv("BENCH_OCSP_PATHS")
	assert(path ~= nil and path ~= "", "BENCH_OCSP_PATHS must name the file of URL paths")
	for line in io.lines(path) do
		if #line > 0 then paths[#paths + 1] = line end
	end
	assert(#paths > 0, "no paths in " .. path)
	math.randomseed(os.time())
end

function request()
	return wrk.format("GET", paths[math.random(#paths)])
end
