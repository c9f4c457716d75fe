/*
 * ra/poa_xmllib.h — libxml2, loaded the first time a power of attorney in
 * XML is read (dlopen), not when pechatd starts. Linking it pulls in ICU
 * and libstdc++: about 1.6 MB of resident memory in every daemon, most of
 * which never reads an XML power of attorney (docs/PERFORMANCE.md, "Memory").
 *
 * Each member has the exact type of the libxml2 function it names (the
 * headers are still included, so the compiler checks every call). The
 * table is filled once per process and never changes afterwards.
 */
#ifndef PECHAT_RA_POA_XMLLIB_H
#define PECHAT_RA_POA_XMLLIB_H

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "common/common.h"

/* The soname loaded: the one the headers we were built with belong to. */
#define POA_XMLLIB_SONAME "libxml2.so.2"

struct poa_xmllib {
	__typeof__(xmlInitParser) *InitParser;
	__typeof__(xmlStopParser) *StopParser;
	__typeof__(xmlCreateMemoryParserCtxt) *CreateMemoryParserCtxt;
	__typeof__(xmlCtxtUseOptions) *CtxtUseOptions;
	__typeof__(xmlParseDocument) *ParseDocument;
	__typeof__(xmlCtxtGetLastError) *CtxtGetLastError;
	__typeof__(xmlFreeDoc) *FreeDoc;
	__typeof__(xmlFreeParserCtxt) *FreeParserCtxt;
	__typeof__(xmlSetStructuredErrorFunc) *SetStructuredErrorFunc;
	__typeof__(xmlDocGetRootElement) *DocGetRootElement;
	__typeof__(xmlGetNoNsProp) *GetNoNsProp;
	__typeof__(xmlNodeGetContent) *NodeGetContent;
	/* the per-thread globals behind libxml2's xmlStructuredError... macros */
	xmlFreeFunc *Free_var;         /* the variable xmlFree (the library's free) */
	__typeof__(__xmlStructuredError) *StructuredError_ref;
	__typeof__(__xmlStructuredErrorContext) *StructuredErrorContext_ref;
	__typeof__(__xmlParserVersion) *ParserVersion_ref;
};

/*
 * The loaded library (process-wide, never freed; xmlInitParser already
 * run), or NULL with *e = UNAVAILABLE "poa_xml_unavailable" when it cannot
 * be loaded. Thread-safe; the first call loads, later calls return at once.
 */
const struct poa_xmllib *poa_xmllib(struct pechat_error *e);

/*
 * Loads soname into *out (for poa_xmllib and its test): 0, or -1 with a
 * log line naming what failed (the library, or its first missing symbol).
 */
int poa_xmllib_load(const char *soname, struct poa_xmllib *out);

#endif
