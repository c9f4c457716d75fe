/*
 * ra/poa_xml.c — a power of attorney from the FNS machine-readable XML
 * (EMCHD_1) with libxml2. Security rules (docs/REGISTRATION.md): size
 * checked before parsing; parsed from memory with no entity substitution,
 * no DTD loading, no network, no XInclude, no XML_PARSE_HUGE; the parser is
 * stopped at any DOCTYPE, so no entity is ever declared (XXE, billion
 * laughs); the tree is refused past RA_POA_XML_MAX_DEPTH; libxml2's
 * messages go to a handler that keeps the first one for the error detail.
 * Only the paths of docs/REGISTRATION.md are read; other nodes are ignored.
 * libxml2 is called through the table of ra/poa_xmllib.h (loaded on first
 * use): px->xl->Name is libxml2's xmlName.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ra/poa_xmllib.h"

#include "ra/poa_int.h"

#define XML_OPTIONS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

/* Parse state: the path of the element being read and the outcome. */
struct px {
	const struct poa_xmllib *xl;    /* libxml2 */
	struct pechat_error *e;
	int doctype;            /* a DOCTYPE was met: parsing stopped there */
	int failed;             /* *e holds the first failure */
	char xmlerr[160];       /* libxml2's first message, escaped */
	char path[512];         /* element path from the root */
};

/* libxml2's xmlFree of p (a string libxml2 allocated). */
static void
px_free(struct px *px, void *p)
{
	(*px->xl->Free_var)(p);
}

/* Keeps libxml2's first message (escaped) in px->xmlerr. */
static void
px_collect(struct px *px, const xmlError *err)
{
	char msg[160];
	size_t n;

	if (px == NULL || err == NULL || err->code == XML_ERR_OK || px->xmlerr[0] != '\0')
		return;
	snprintf(msg, sizeof(msg), "line %d: %s", err->line, err->message != NULL ? err->message : "error");
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	pechat_text_escape(msg, px->xmlerr, sizeof(px->xmlerr));
}

/* The parser context's structured error handler (ctx is the context). */
static void
px_ctxt_error(void *ctx, xmlErrorPtr err)
{
	xmlParserCtxtPtr ctxt = ctx;

	px_collect(ctxt != NULL ? ctxt->_private : NULL, err);
}

/* The thread's structured error handler during a parse (ctx is the struct px). */
static void
px_thread_error(void *ctx, xmlErrorPtr err)
{
	px_collect(ctx, err);
}

/* SAX: a DOCTYPE was read. Stop before its internal subset is parsed. */
static void
px_doctype(void *ctx, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct px *px = ctxt->_private;

	(void)name;
	(void)ext;
	(void)sys;
	px->doctype = 1;
	px->xl->StopParser(ctxt);
}

/* Records the first failure: "<path>[/leaf]: why" as code/kind given. */
static int
px_fail_as(struct px *px, enum pechat_err err, const char *code, const char *leaf, const char *why)
{
	if (!px->failed)
		pechat_fail(px->e, err, code, "%s%s%s: %s", px->path, leaf != NULL ? "/" : "",
		    leaf != NULL ? leaf : "", why);
	px->failed = 1;
	return -1;
}

/* A field-level failure (poa_invalid). */
static int
px_fail(struct px *px, const char *leaf, const char *why)
{
	return px_fail_as(px, PECHAT_E_INVALID, "poa_invalid", leaf, why);
}

/* 1 if n is the element `name` in the EMCHD_1 namespace. */
static int
is_el(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE && n->ns != NULL && n->ns->href != NULL &&
	    strcmp((const char *)n->ns->href, POA_NS) == 0 &&
	    strcmp((const char *)n->name, name) == 0;
}

/* The only child `name` of parent: NULL if none; *count says how many there are. */
static xmlNode *
only_child(xmlNode *parent, const char *name, int *count)
{
	xmlNode *c, *found = NULL;

	*count = 0;
	for (c = parent->children; c != NULL; c = c->next) {
		if (!is_el(c, name))
			continue;
		if (found == NULL)
			found = c;
		(*count)++;
	}
	return found;
}

/* Appends "/seg" to the path; returns the old length (for px_pop). */
static size_t
px_push(struct px *px, const char *seg)
{
	size_t mark = strlen(px->path);

	snprintf(px->path + mark, sizeof(px->path) - mark, "%s%s", mark > 0 ? "/" : "", seg);
	return mark;
}

/* Cuts the path back to a mark of px_push. */
static void
px_pop(struct px *px, size_t mark)
{
	px->path[mark] = '\0';
}

/* Enters the required only child `name` (path extended); NULL with *e set if absent or repeated. */
static xmlNode *
px_enter(struct px *px, xmlNode *parent, const char *name)
{
	int count;
	xmlNode *n = only_child(parent, name, &count);

	if (count != 1) {
		px_fail(px, name, count == 0 ? "missing" : "appears more than once");
		return NULL;
	}
	px_push(px, name);
	return n;
}

/* Copy of the text of n without surrounding whitespace (px_free), or NULL if empty. */
static xmlChar *
node_text(struct px *px, xmlNode *n)
{
	xmlChar *t = px->xl->NodeGetContent(n);
	size_t len, start = 0;

	if (t == NULL)
		return NULL;
	len = strlen((char *)t);
	while (len > 0 && strchr(" \t\r\n", t[len - 1]) != NULL)
		t[--len] = '\0';
	while (start < len && strchr(" \t\r\n", t[start]) != NULL)
		start++;
	memmove(t, t + start, len - start + 1);
	return t;
}

/*
 * The value at a relative path of the field table ("@attr", "Elem/@attr",
 * "."): *val (px_free) or NULL if absent. -1 if an element on the way repeats.
 */
static int
px_value(struct px *px, xmlNode *n, const char *rel, xmlChar **val)
{
	const char *slash = strchr(rel, '/');
	char elem[64];
	int count;

	*val = NULL;
	if (strcmp(rel, ".") == 0) {
		*val = node_text(px, n);
		return 0;
	}
	if (slash != NULL) {
		snprintf(elem, sizeof(elem), "%.*s", (int)(slash - rel), rel);
		n = only_child(n, elem, &count);
		if (count > 1)
			return px_fail(px, elem, "appears more than once");
		if (n == NULL)
			return 0;
		rel = slash + 1;
	}
	*val = px->xl->GetNoNsProp(n, (const xmlChar *)rel + 1);
	return 0;
}

/* Reads every XML field of a table from element n into the struct at base. */
static int
px_fields(struct px *px, xmlNode *n, const struct poa_field *tab, void *base)
{
	const struct poa_field *f;
	const char *why;
	xmlChar *v;
	int rc;

	for (f = tab; !poa_field_end(f); f++) {
		if (f->xml == NULL)
			continue;
		if (px_value(px, n, f->xml, &v) != 0)
			return -1;
		if (v == NULL) {
			if (f->required)
				return px_fail(px, f->xml, "missing");
			continue;
		}
		rc = poa_field_set(f, base, (const char *)v, &why);
		px_free(px, v);
		if (rc != 0)
			return px_fail(px, f->xml, why);
	}
	return 0;
}

/* Principal: СвДоверит/Доверит/РосОргДовер with СвРосОрг and 1..RA_POA_MAX_HEADS ЛицоБезДов/СвФЛ. */
static int
px_principal(struct px *px, xmlNode *dover, struct ra_poa *poa)
{
	size_t mark = strlen(px->path), m;
	xmlNode *n, *c, *fl;
	char seg[64];

	if ((n = px_enter(px, dover, "СвДоверит")) == NULL || (n = px_enter(px, n, "Доверит")) == NULL ||
	    (n = px_enter(px, n, "РосОргДовер")) == NULL)
		return -1;
	m = strlen(px->path);
	if ((c = px_enter(px, n, "СвРосОрг")) == NULL || px_fields(px, c, poa_fields_org, &poa->principal) != 0)
		return -1;
	px_pop(px, m);
	for (c = n->children; c != NULL; c = c->next) {
		if (!is_el(c, "ЛицоБезДов"))
			continue;
		snprintf(seg, sizeof(seg), "ЛицоБезДов[%d]", poa->nheads + 1);
		if (poa->nheads == RA_POA_MAX_HEADS)
			return px_fail(px, seg, "too many heads (at most 4)");
		px_push(px, seg);
		if ((fl = px_enter(px, c, "СвФЛ")) == NULL ||
		    px_fields(px, fl, poa_fields_head, &poa->heads[poa->nheads]) != 0)
			return -1;
		poa->nheads++;
		px_pop(px, m);
	}
	px_pop(px, mark);
	return 0;
}

/* Representative: СвУпПред/Пред/СведФизЛ with its УдЛичнФЛ. */
static int
px_representative(struct px *px, xmlNode *dover, struct ra_poa *poa)
{
	size_t mark = strlen(px->path);
	xmlNode *n, *d;

	if ((n = px_enter(px, dover, "СвУпПред")) == NULL || (n = px_enter(px, n, "Пред")) == NULL ||
	    (n = px_enter(px, n, "СведФизЛ")) == NULL ||
	    px_fields(px, n, poa_fields_rep, &poa->representative) != 0 ||
	    (d = px_enter(px, n, "УдЛичнФЛ")) == NULL ||
	    px_fields(px, d, poa_fields_doc, &poa->representative.doc) != 0)
		return -1;
	px_pop(px, mark);
	return 0;
}

/* One power from a МашПолн (attributes) or a ТекстПолн (text) element. */
static int
px_power(struct px *px, xmlNode *c, struct ra_poa_power *pw)
{
	static const struct poa_field text[] = {
		{ "text", ".", POA_FREETEXT, offsetof(struct ra_poa_power, text),
		    sizeof(((struct ra_poa_power *)0)->text), 1 },
		{ NULL, NULL, 0, 0, 0, 0 },
	};

	return px_fields(px, c, is_el(c, "МашПолн") ? poa_fields_power : text, pw);
}

/* Powers: the МашПолн and ТекстПолн children of СвПолн, 1..RA_POA_MAX_POWERS. */
static int
px_powers(struct px *px, xmlNode *dover, struct ra_poa *poa)
{
	size_t mark = strlen(px->path), m;
	xmlNode *n, *c;
	char seg[64];
	int nm = 0, nt = 0;

	if ((n = px_enter(px, dover, "СвПолн")) == NULL)
		return -1;
	m = strlen(px->path);
	for (c = n->children; c != NULL; c = c->next) {
		if (!is_el(c, "МашПолн") && !is_el(c, "ТекстПолн"))
			continue;
		snprintf(seg, sizeof(seg), "%s[%d]", (const char *)c->name, is_el(c, "МашПолн") ? ++nm : ++nt);
		if (poa->npowers == RA_POA_MAX_POWERS)
			return px_fail(px, seg, "too many powers (at most 16)");
		px_push(px, seg);
		if (px_power(px, c, &poa->powers[poa->npowers]) != 0)
			return -1;
		poa->npowers++;
		px_pop(px, m);
	}
	px_pop(px, mark);
	return 0;
}

/* Cross-check complaints: the first one becomes the error. */
static void
px_report(void *arg, const char *key, const char *xml, const char *why)
{
	struct px *px = arg;

	(void)key;
	if (!px->failed)
		pechat_fail(px->e, PECHAT_E_INVALID, "poa_invalid", "%s: %s", xml, why);
	px->failed = 1;
}

/* 1 if no element under n is nested deeper than RA_POA_XML_MAX_DEPTH (n at depth). */
static int
depth_ok(const xmlNode *n, int depth)
{
	const xmlNode *c;

	if (depth > RA_POA_XML_MAX_DEPTH)
		return 0;
	for (c = n->children; c != NULL; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !depth_ok(c, depth + 1))
			return 0;
	return 1;
}

/* The root: Доверенность in the EMCHD_1 namespace with ВерсФорм="EMCHD_1"; the depth bound. */
static int
px_root(struct px *px, xmlNode *root)
{
	xmlChar *ver;
	int ok;

	if (root == NULL || !is_el(root, "Доверенность"))
		return px_fail_as(px, PECHAT_E_INVALID, "poa_format_unsupported", NULL,
		    "the root must be Доверенность in namespace " POA_NS);
	if (!depth_ok(root, 1))
		return px_fail(px, NULL, "elements nested deeper than 32");
	ver = px->xl->GetNoNsProp(root, (const xmlChar *)"ВерсФорм");
	ok = ver != NULL && strcmp((const char *)ver, POA_FORMAT) == 0;
	px_free(px, ver);
	if (!ok)
		return px_fail_as(px, PECHAT_E_INVALID, "poa_format_unsupported", "@ВерсФорм",
		    "must be " POA_FORMAT);
	return 0;
}

/* Walks the document into *poa (docs/REGISTRATION.md, "XML paths read"). */
static int
px_walk(struct px *px, xmlDoc *doc, struct ra_poa *poa)
{
	xmlNode *root = px->xl->DocGetRootElement(doc), *dover, *svdov;
	size_t mark;

	px_push(px, POA_X_ROOT);
	if (px_root(px, root) != 0)
		return -1;
	if ((dover = px_enter(px, root, "Документ")) == NULL || (dover = px_enter(px, dover, "Довер")) == NULL)
		return -1;
	mark = strlen(px->path);
	if ((svdov = px_enter(px, dover, "СвДов")) == NULL || px_fields(px, svdov, poa_fields_top, poa) != 0)
		return -1;
	px_pop(px, mark);
	if (px_principal(px, dover, poa) != 0 || px_representative(px, dover, poa) != 0 ||
	    px_powers(px, dover, poa) != 0)
		return -1;
	return poa_cross_check(poa, px_report, px) == 0 ? 0 : -1;
}

/* Parses the bytes into a tree with the safe options; NULL with *e set on refusal. */
static xmlDoc *
px_parse(struct px *px, const char *xml, size_t len)
{
	xmlParserCtxtPtr ctxt = NULL;
	xmlDoc *doc = NULL;

	if ((ctxt = px->xl->CreateMemoryParserCtxt(xml, (int)len)) == NULL) {
		pechat_fail(px->e, PECHAT_E_NOMEM, "internal", "no memory for the XML parser");
		goto fail;
	}
	px->xl->CtxtUseOptions(ctxt, XML_OPTIONS);
	ctxt->_private = px;
	ctxt->sax->internalSubset = px_doctype;
	ctxt->sax->serror = px_ctxt_error;
	ctxt->sax->initialized = XML_SAX2_MAGIC;
	px->xl->ParseDocument(ctxt);
	px_collect(px, px->xl->CtxtGetLastError(ctxt));
	doc = ctxt->myDoc;
	ctxt->myDoc = NULL;
	if (px->doctype)
		pechat_fail(px->e, PECHAT_E_INVALID, "poa_invalid",
		    "DOCTYPE is not allowed (no DTD, no entity declarations)");
	else if (!ctxt->wellFormed || doc == NULL)
		pechat_fail(px->e, PECHAT_E_INVALID, "poa_invalid", "not well-formed XML: %s",
		    px->xmlerr[0] != '\0' ? px->xmlerr : "parse error");
	else
		goto done;
fail:
	px->xl->FreeDoc(doc);
	doc = NULL;
done:
	px->xl->FreeParserCtxt(ctxt);
	return doc;
}

/* EMCHD_1 XML → *out (ra/poa.h). */
enum pechat_err
ra_poa_from_xml(const char *xml, size_t len, struct ra_poa *out, struct pechat_error *e)
{
	xmlStructuredErrorFunc old_fn;
	void *old_ctx;
	struct pechat_error local;
	struct px px;
	xmlDoc *doc = NULL;

	if (e == NULL)
		e = &local;
	memset(out, 0, sizeof(*out));
	memset(&px, 0, sizeof(px));
	px.e = e;
	pechat_error_clear(e);
	if (xml == NULL || len == 0)
		return pechat_fail(e, PECHAT_E_INVALID, "poa_invalid", "the document is empty");
	if (len > RA_POA_XML_MAX)
		return pechat_fail(e, PECHAT_E_TOO_LARGE, "poa_too_large",
		    "the document is over %d bytes", RA_POA_XML_MAX);
	if ((px.xl = poa_xmllib(e)) == NULL)
		return e->err;
	old_fn = *px.xl->StructuredError_ref();
	old_ctx = *px.xl->StructuredErrorContext_ref();
	px.xl->SetStructuredErrorFunc(&px, px_thread_error);
	if ((doc = px_parse(&px, xml, len)) != NULL && px_walk(&px, doc, out) == 0)
		goto done;
	if (e->err == PECHAT_OK)
		pechat_fail(e, PECHAT_E_INVALID, "poa_invalid", "not a power of attorney");
	memset(out, 0, sizeof(*out));
done:
	px.xl->FreeDoc(doc);
	px.xl->SetStructuredErrorFunc(old_ctx, old_fn);
	return e->err;
}

static char libxml2_version[24];

/* "20914" -> "2.9.14" (once), or "not loadable". */
static void
format_libxml2_version(void)
{
	const struct poa_xmllib *xl = poa_xmllib(NULL);
	long v = xl != NULL ? strtol(*xl->ParserVersion_ref(), NULL, 10) : 0;

	if (xl == NULL)
		snprintf(libxml2_version, sizeof(libxml2_version), "not loadable");
	else if (v > 0)
		snprintf(libxml2_version, sizeof(libxml2_version), "%ld.%ld.%ld", v / 10000, v / 100 % 100, v % 100);
}

/* See poa.h: libxml2's xmlParserVersion is "20914" for 2.9.14. */
const char *
ra_libxml2_version(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, format_libxml2_version);
	return libxml2_version;
}
