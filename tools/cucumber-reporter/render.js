#!/usr/bin/env node
// Renders a Cucumber JSON file with multiple-cucumber-html-reporter and prints the counts the
// reporter shows (its own computation, saved with saveCollectedJSON) as one JSON line.
//   node tools/cucumber-reporter/render.js <cucumber.json> <report folder>
const fs = require("fs");
const path = require("path");
const report = require("multiple-cucumber-html-reporter");

const [input, outDir] = process.argv.slice(2);
if (!input || !outDir) {
  console.error("usage: render.js <cucumber.json> <report folder>");
  process.exit(2);
}
const jsonDir = path.join(outDir, "json");
fs.mkdirSync(jsonDir, { recursive: true });
fs.copyFileSync(input, path.join(jsonDir, path.basename(input)));
report.generate({
  jsonDir,
  reportPath: outDir,
  saveCollectedJSON: true,
  disableLog: true,
  displayDuration: true,
  reportName: "cognito-mfa-harness",
  metadata: { browser: { name: "chrome", version: "headless" }, device: "CI", platform: { name: "linux" } },
});
const suite = JSON.parse(fs.readFileSync(path.join(outDir, "enriched-output.json"), "utf8"));
const steps = { passed: 0, failed: 0, undefined: 0, skipped: 0, pending: 0, ambiguous: 0 };
for (const feature of suite.features)
  for (const scenario of feature.elements)
    for (const step of scenario.steps)
      if (!step.hidden || step.result.status === "failed") steps[step.result.status] = (steps[step.result.status] || 0) + 1;
console.log(JSON.stringify({
  scenarios: suite.scenarios,
  features: suite.featureCount,
  steps,
  html: path.join(outDir, "index.html"),
}));
