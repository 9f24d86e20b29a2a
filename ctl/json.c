/* SPDX-License-Identifier: BSD-3-Clause */
/* JSON from the protobuf descriptors, so that it never lags the schema. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "msg.h"


static void json_message(const ProtobufCMessage *m, int indent);

static void
json_string(const char *s)
{
	putchar('"');
	for (; s != NULL && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			printf("\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", stdout);
		else if (ch < 0x20)
			printf("\\u%04x", ch);
		else
			putchar(ch);
	}
	putchar('"');
}

static size_t
elem_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	default:
		return 4;
	}
}

static void
json_scalar(const ProtobufCFieldDescriptor *f, const void *p, int indent)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumValue *ev =
			protobuf_c_enum_descriptor_get_value(f->descriptor, *(const int32_t *)p);

		if (ev != NULL && f->descriptor == &sluice__proc_state__descriptor)
			json_string(sl_state_name((Sluice__ProcState)ev->value));
		else if (ev != NULL)
			json_string(ev->name);
		else
			printf("%d", *(const int32_t *)p);
		break;
	}
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		printf("%d", *(const int32_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		printf("%u", *(const uint32_t *)p);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		printf("%lld", (long long)*(const int64_t *)p);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		printf("%llu", (unsigned long long)*(const uint64_t *)p);
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		printf("%g", (double)*(const float *)p);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		printf("%g", *(const double *)p);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		fputs(*(const protobuf_c_boolean *)p ? "true" : "false", stdout);
		break;
	case PROTOBUF_C_TYPE_STRING:
		json_string(*(char *const *)p);
		break;
	case PROTOBUF_C_TYPE_BYTES:
		printf("%zu", ((const ProtobufCBinaryData *)p)->len);
		break;
	case PROTOBUF_C_TYPE_MESSAGE:
		if (*(ProtobufCMessage *const *)p == NULL)
			fputs("null", stdout);
		else
			json_message(*(ProtobufCMessage *const *)p, indent);
		break;
	}
}

/* protobuf-c renders map<K,V> as a repeated KEntry { key, value }. */
static bool
is_map(const ProtobufCFieldDescriptor *f)
{
	const ProtobufCMessageDescriptor *md = f->descriptor;
	size_t n;

	if (f->type != PROTOBUF_C_TYPE_MESSAGE || md == NULL || md->n_fields != 2)
		return false;
	n = strlen(md->name);
	return n > 5 && strcmp(md->name + n - 5, "Entry") == 0 &&
	       strcmp(md->fields[0].name, "key") == 0 && strcmp(md->fields[1].name, "value") == 0;
}

static void
json_repeated(const ProtobufCFieldDescriptor *f, const ProtobufCMessage *m, int indent)
{
	size_t n = *(const size_t *)((const char *)m + f->quantifier_offset), i;
	const char *arr = *(char *const *)((const char *)m + f->offset);
	bool map = is_map(f);

	if (n == 0) {
		fputs(map ? "{}" : "[]", stdout);
		return;
	}
	fputs(map ? "{\n" : "[\n", stdout);
	for (i = 0; i < n; i++) {
		const void *p = arr + i * elem_size(f->type);

		printf("%*s", indent + 2, "");
		if (map) {
			const ProtobufCMessage *e = *(ProtobufCMessage *const *)p;
			const ProtobufCMessageDescriptor *md = f->descriptor;
			const ProtobufCFieldDescriptor *kf = &md->fields[0];
			const ProtobufCFieldDescriptor *vf = &md->fields[1];

			json_scalar(kf, (const char *)e + kf->offset, indent + 2);
			fputs(": ", stdout);
			json_scalar(vf, (const char *)e + vf->offset, indent + 2);
		} else {
			json_scalar(f, p, indent + 2);
		}
		fputs(i + 1 < n ? ",\n" : "\n", stdout);
	}
	printf("%*s%c", indent, "", map ? '}' : ']');
}

static void
json_message(const ProtobufCMessage *m, int indent)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	bool first = true;
	unsigned int i;

	fputs("{\n", stdout);
	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];

		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(const uint32_t *)((const char *)m + f->quantifier_offset) != f->id)
			continue;
		printf("%s%*s\"%s\": ", first ? "" : ",\n", indent + 2, "", f->name);
		first = false;
		if (f->label == PROTOBUF_C_LABEL_REPEATED)
			json_repeated(f, m, indent + 2);
		else
			json_scalar(f, (const char *)m + f->offset, indent + 2);
	}
	printf("\n%*s}", indent, "");
}


void
sl_json_print(const ProtobufCMessage *m)
{
	json_message(m, 0);
	putchar('\n');
}
