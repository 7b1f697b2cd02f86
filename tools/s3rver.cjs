#!/usr/bin/env node
// Starts s3rver (a local S3 API) for oxistore's S3 blob tests.
//
//   node tools/s3rver.cjs [port] [bucket ...]     port 0 (default) = any free port
//
// Listens on 127.0.0.1 only, keeps its files in a fresh temp directory (removed
// on exit), creates the named buckets, prints "s3rver listening on http://…",
// and stops on SIGTERM/SIGINT. Credentials: S3RVER / S3RVER (s3rver's own).
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const S3rver = require("s3rver");

const [portArg, ...buckets] = process.argv.slice(2);
const directory = fs.mkdtempSync(path.join(os.tmpdir(), "oxistore-s3rver-"));
const server = new S3rver({
  address: "127.0.0.1",
  port: Number(portArg || 0),
  silent: true,
  directory,
  resetOnClose: true,
  configureBuckets: buckets.map((name) => ({ name })),
});

server.run().then(
  (addr) => console.log(`s3rver listening on http://127.0.0.1:${addr.port}`),
  (err) => {
    console.error("s3rver failed to start:", err);
    process.exit(1);
  },
);

const stop = () => {
  server.close(() => {
    fs.rmSync(directory, { recursive: true, force: true });
    process.exit(0);
  });
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
