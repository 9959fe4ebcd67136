/*
 * json.h - writing the JSON form of the summary line (log_format =
 * "json"): string and number members, and the key=value tokens the checks'
 * summary hooks write turned into members.  Output is always valid JSON
 * whatever the input (every byte outside printable ASCII is escaped).
 * Used by pipeline.c; tests/fuzz/fuzz_json.c checks the invariant.
 */
#ifndef POSTERN_JSON_H
#define POSTERN_JSON_H

#include <stddef.h>

#include "postern/util.h"

/* "key":"value" (value of n bytes, escaped), preceded by a comma unless it
 * is the first member after '{' */
void json_member_str(strbuf *out, const char *key, const char *value, size_t n);
/* the same for text from the network: cut at max bytes, "..." appended */
void json_member_net(strbuf *out, const char *key, const char *value, size_t n, size_t max);
void json_member_uint(strbuf *out, const char *key, unsigned long long v);
/* Members from " k=v k=\"quoted v\" ..." text (n bytes): a value runs to
 * the next space outside double quotes; a value that is one quoted string
 * loses its quotes; a digits-only value (up to 15 digits, no leading
 * zero) becomes a number; a token without '=' becomes "token":true. */
void json_members_from_tokens(strbuf *out, const char *text, size_t n);

#endif
