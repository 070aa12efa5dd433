// PouchDB (LevelDB on disk) behind express-pouchdb: the peer that fan-in is measured against.
//   node js/pouch-server.mjs PORT DATA_DIR      prints "listening PORT" when ready
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const express = require('express');
const PouchDB = require('pouchdb');
const expressPouchDB = require('express-pouchdb');

const [port, dataDir] = process.argv.slice(2);
const Pouch = PouchDB.defaults({ prefix: path.join(dataDir, path.sep) });
const app = express();
app.use('/', expressPouchDB(Pouch, { mode: 'minimumForPouchDB', logPath: path.join(dataDir, 'log.txt') }));
app.listen(Number(port), '127.0.0.1', () => console.log(`listening ${port}`));
