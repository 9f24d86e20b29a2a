/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef SL_JSON_H
#define SL_JSON_H

#include <protobuf-c/protobuf-c.h>

/* @m as JSON on stdout: field names as in sluice.proto, enums by name, maps as objects. */
void sl_json_print(const ProtobufCMessage *m);

#endif /* SL_JSON_H */
