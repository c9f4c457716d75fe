/*
 * ra/poa_xmllib.c — libxml2 loaded on first use (see poa_xmllib.h for why).
 * dlopen with RTLD_NOW | RTLD_LOCAL: every symbol resolved at once, none
 * exported to the rest of the process; the handle stays open for good.
 */
#include "ra/poa_xmllib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <string.h>


/* One symbol: its name and where its address goes. */
struct xmllib_sym {
	const char *name;
	void **slot;
};

/* Resolves every symbol of the table; -1 at the first one missing. */
static int
xmllib_resolve(void *h, const struct xmllib_sym *syms, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		dlerror();
		if ((*syms[i].slot = dlsym(h, syms[i].name)) == NULL) {
			log_err("libxml2: symbol %s missing: %s", syms[i].name, dlerror());
			return -1;
		}
	}
	return 0;
}

/* See poa_xmllib.h. */
int
poa_xmllib_load(const char *soname, struct poa_xmllib *out)
{
	struct poa_xmllib t;
	const struct xmllib_sym syms[] = {
		{ "xmlInitParser", (void **)&t.InitParser },
		{ "xmlStopParser", (void **)&t.StopParser },
		{ "xmlCreateMemoryParserCtxt", (void **)&t.CreateMemoryParserCtxt },
		{ "xmlCtxtUseOptions", (void **)&t.CtxtUseOptions },
		{ "xmlParseDocument", (void **)&t.ParseDocument },
		{ "xmlCtxtGetLastError", (void **)&t.CtxtGetLastError },
		{ "xmlFreeDoc", (void **)&t.FreeDoc },
		{ "xmlFreeParserCtxt", (void **)&t.FreeParserCtxt },
		{ "xmlSetStructuredErrorFunc", (void **)&t.SetStructuredErrorFunc },
		{ "xmlDocGetRootElement", (void **)&t.DocGetRootElement },
		{ "xmlGetNoNsProp", (void **)&t.GetNoNsProp },
		{ "xmlNodeGetContent", (void **)&t.NodeGetContent },
		{ "xmlFree", (void **)&t.Free_var },
		{ "__xmlStructuredError", (void **)&t.StructuredError_ref },
		{ "__xmlStructuredErrorContext", (void **)&t.StructuredErrorContext_ref },
		{ "__xmlParserVersion", (void **)&t.ParserVersion_ref },
	};
	void *h;

	memset(&t, 0, sizeof(t));
	if ((h = dlopen(soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		log_err("libxml2: cannot load %s: %s", soname, dlerror());
		return -1;
	}
	if (xmllib_resolve(h, syms, sizeof(syms) / sizeof(syms[0])) != 0) {
		dlclose(h);
		return -1;
	}
	t.InitParser();         /* libxml2's global set-up: once, before any parse */
	*out = t;
	return 0;
}

static struct poa_xmllib xmllib;
static int xmllib_ok;
static pthread_once_t xmllib_once = PTHREAD_ONCE_INIT;

static void
xmllib_open(void)
{
	xmllib_ok = poa_xmllib_load(POA_XMLLIB_SONAME, &xmllib) == 0;
}

/* See poa_xmllib.h. */
const struct poa_xmllib *
poa_xmllib(struct pechat_error *e)
{
	pthread_once(&xmllib_once, xmllib_open);
	if (xmllib_ok)
		return &xmllib;
	pechat_fail(e, PECHAT_E_UNAVAILABLE, "poa_xml_unavailable",
	    "the XML parser (%s) cannot be loaded on this server", POA_XMLLIB_SONAME);
	return NULL;
}
