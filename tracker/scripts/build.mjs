// Builds dist/clickstream.js (minified IIFE for a <script> tag) and dist/clickstream.mjs (ES module). Same input,
// same output: no banner with a date, no source maps, so a build from the lock is byte-for-byte reproducible.
import { build } from 'esbuild';

// tsconfig.json's strict implies alwaysStrict, which would add a "use strict" the bundle does not need (size).
const tsconfigRaw = { compilerOptions: { alwaysStrict: false } };
const common = { bundle: true, target: 'es2020', legalComments: 'none', logLevel: 'warning', tsconfigRaw };
await build({ ...common, entryPoints: ['src/iife.ts'], outfile: 'dist/clickstream.js', format: 'iife', minify: true });
await build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/clickstream.mjs', format: 'esm' });
