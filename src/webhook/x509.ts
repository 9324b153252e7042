// @peculiar/x509, ready for Node. Everything imports it from here: its
// dependency injection needs the Reflect metadata API before it loads, which
// only an import placed ahead of it guarantees, and it must sign with Node's
// WebCrypto, whose work runs off the event loop.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto);

export { x509 };
