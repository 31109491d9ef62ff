// Runs the `script:` of an actions/github-script step as the action does (the body of an async
// function of github, context, core, glob, io, exec, require), with a fake `github` that records
// every REST call and answers from a scenario.
//
//   node github_script.js SCRIPT_FILE SCENARIO_FILE
//
// SCENARIO_FILE is JSON: {"context": {...}, "responses": {"issues.listComments": [...], ...}}.
// A paginated call answers with its list. Prints {"calls": [...], "outputs": {...}, "notices": [...]}.
'use strict';

const fs = require('fs');

async function main() {
  const [scriptFile, scenarioFile] = process.argv.slice(2);
  const script = fs.readFileSync(scriptFile, 'utf8');
  const scenario = JSON.parse(fs.readFileSync(scenarioFile, 'utf8'));
  const calls = [];
  const outputs = {};
  const notices = [];

  const endpoint = (name) => async (params) => {
    calls.push({ method: name, params });
    if (!(name in scenario.responses)) throw new Error(`unexpected call ${name}`);
    return { data: scenario.responses[name] };
  };
  const namespace = (ns) => new Proxy({}, { get: (_, method) => endpoint(`${ns}.${String(method)}`) });
  const github = {
    rest: new Proxy({}, { get: (_, ns) => namespace(String(ns)) }),
    paginate: async (method, params) => (await method(params)).data,
  };
  const core = {
    notice: (message) => notices.push(String(message)),
    info: () => {},
    setOutput: (name, value) => {
      outputs[name] = String(value);
    },
  };
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
  const step = new AsyncFunction('github', 'context', 'core', 'glob', 'io', 'exec', 'require', script);
  await step(github, scenario.context, core, null, null, null, require);
  process.stdout.write(JSON.stringify({ calls, outputs, notices }));
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n`);
  process.exit(1);
});
