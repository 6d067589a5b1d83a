#!/usr/bin/env node
// Writes expressions.json: each case's template rendered by Backstage's own code, so
// the Rust engine can be checked against it (tests/expression_conformance.rs).
//
// Nothing of Backstage is copied here: the script loads the published packages and
// calls them. Install them outside the repository, then run with NODE_PATH:
//
//   mkdir -p /work/nunjucks-conformance && cd /work/nunjucks-conformance && npm init -y
//   npm install @backstage/plugin-scaffolder-backend@4.3.0 @backstage/integration@2.2.0 \
//     @backstage/config nunjitsu@0.7.0
//   NODE_PATH=/work/nunjucks-conformance/node_modules \
//     node crates/scaffolder/tests/conformance/generate.js
//
// What is Backstage here:
// - step inputs and `if`: NunjucksWorkflowRunner.render from
//   plugins/scaffolder-backend/src/scaffolder/tasks/NunjucksWorkflowRunner.ts (the
//   class itself, built with stub metrics), and `isTruthy` from tasks/helper.ts;
// - the renderer: `nunjitsu.createTemplateRenderer` configured as the runner's `execute`
//   configures it (the default filters of lib/templating/filters/createDefaultFilters.ts,
//   regex execution allowed, `always()` and `failure()` globals);
// - file text: `renderer.render`, as fetch:template's templateActionHandler.ts does,
//   with `cookiecutterCompat` for the cookiecutter cases;
// - integrations: `ScmIntegrations.fromConfig` of an empty config.
//
// Where Backstage cannot render a string, the runner logs it and keeps the raw text;
// Portico reports an error instead. Such cases get `"error"` (Backstage's message).
// Cases Portico deliberately or knowingly renders differently carry a
// `known_difference` note, and the Rust test skips them.

'use strict';

const fs = require('node:fs');
const path = require('node:path');
const nunjitsu = require('nunjitsu');
const { ScmIntegrations } = require('@backstage/integration');
const { ConfigReader } = require('@backstage/config');

const backendDir = path.dirname(require.resolve('@backstage/plugin-scaffolder-backend/package.json'));
const backend = (file) => require(path.join(backendDir, 'dist', file));
const { NunjucksWorkflowRunner } = backend('scaffolder/tasks/NunjucksWorkflowRunner.cjs.js');
const { isTruthy } = backend('scaffolder/tasks/helper.cjs.js');

const quietLogger = { error() {}, warn() {}, info() {}, debug() {}, child: () => quietLogger };
const noMetric = { add() {}, record() {} };
const stubMetrics = {
  createCounter: () => noMetric,
  createHistogram: () => noMetric,
  createGauge: () => noMetric,
  createUpDownCounter: () => noMetric,
};
const runner = new NunjucksWorkflowRunner({
  workingDirectory: '/tmp',
  actionRegistry: {},
  integrations: ScmIntegrations.fromConfig(new ConfigReader({})),
  logger: quietLogger,
  metrics: stubMetrics,
});
const filters = runner.defaultTemplateCapabilities.filters;

// Backstage builds the status globals per task; here per rendering, to see the calls.
function stepRenderer(failed) {
  const state = { called: false, errors: [] };
  const renderer = nunjitsu.createTemplateRenderer({
    allowRegexExecution: true,
    filters,
    globals: {
      always: () => ((state.called = true), true),
      failure: () => ((state.called = true), failed),
    },
  });
  // Records what the runner's `catch` would hide.
  const recording = {
    prepareContext: (c) => renderer.prepareContext(c),
    renderValue: (...args) => {
      try {
        return renderer.renderValue(...args);
      } catch (e) {
        state.errors.push(e.message);
        throw e;
      }
    },
  };
  return { renderer: recording, state };
}

function renderInput(template, context) {
  const { renderer, state } = stepRenderer(false);
  const value = runner.render(template, renderer.prepareContext(context), renderer);
  return { value: value === undefined ? null : JSON.parse(JSON.stringify(value)), errors: state.errors };
}

// The step-skipping rules of NunjucksWorkflowRunner.execute and executeStep.
function renderCondition(condition, context, failed) {
  const { renderer, state } = stepRenderer(failed);
  const prepared = renderer.prepareContext(context);
  if (failed) {
    if (typeof condition !== 'string') return { value: false, errors: [] };
    runner.render(condition, prepared, renderer);
    if (!state.called) return { value: false, errors: state.errors };
  }
  const skip =
    condition === false ||
    (typeof condition === 'string' && !isTruthy(runner.render(condition, prepared, renderer)));
  return { value: !skip, errors: state.errors };
}

function renderText(template, context, cookiecutterCompat, blocks = {}) {
  const renderer = nunjitsu.createTemplateRenderer({
    filters,
    allowRegexExecution: true,
    cookiecutterCompat,
    trimBlocks: blocks.trimBlocks,
    lstripBlocks: blocks.lstripBlocks,
  });
  try {
    return { value: renderer.render(template, renderer.prepareContext(context)), errors: [] };
  } catch (e) {
    return { value: null, errors: [e.message] };
  }
}

// serde_json sorts object keys; sorting them here too makes `dump` comparable.
function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
  }
  return value;
}

const contexts = sortKeys({
  standard: {
    parameters: {
      name: 'my-service',
      description: 'A "quoted" <service>',
      mixed: 'Hello World',
      padded: '  trim me  ',
      numberString: '42',
      path: 'a/b/c',
      emptyString: '',
      count: 3,
      ratio: 0.5,
      zero: 0,
      enabled: true,
      disabled: false,
      nothing: null,
      tags: ['api', 'java'],
      empty: [],
      emptyObj: {},
      labels: { app: 'web', tier: 'backend' },
      nested: { deep: { value: 'x' } },
      owner: 'group:default/team-a',
      ownerShort: 'team-a',
      repoUrl: 'github.com?owner=acme&repo=my-service',
      gitlabProject: 'gitlab.com?project=42',
      bitbucketUrl: 'bitbucket.org?workspace=w&project=p&repo=r',
    },
    steps: {
      fetch: { output: { targetPath: './out', count: 2, files: ['a', 'b'] } },
      publish: { output: { remoteUrl: 'https://github.com/acme/my-service' } },
    },
    user: {
      entity: {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'User',
        metadata: { name: 'jane', namespace: 'default' },
        spec: { profile: { displayName: 'Jane Doe', email: 'jane@example.com' } },
      },
      ref: 'user:default/jane',
    },
    context: { task: { id: 'task-123' } },
    secrets: { token: 's3cr3t' },
    environment: { parameters: { region: 'eu' }, secrets: {} },
  },
  each: {
    each: { key: 'backend', value: { name: 'api', port: 8080 } },
    parameters: { name: 'svc', 'my-key': 'dashed' },
  },
  skeleton: {
    values: { name: 'my-service', description: 'Says "hi"', owner: 'group:default/team-a', port: 8080 },
  },
  cookiecutter: {
    cookiecutter: { name: 'my-lib', tags: ['a', 'b'], enabled: true, version: 2 },
  },
});

// Nunjucks' HTML helpers have no use in a repository skeleton.
function htmlOnly(filter) {
  return ['striptags', 'urlize'].includes(filter)
    ? { known_difference: `Nunjucks' HTML filter ${filter} is not implemented.` }
    : {};
}

// [name, template, options]; mode defaults to "value", context to "standard".
const cases = [
  // Plain values and the single-expression rule.
  ['plain string', 'hello'],
  ['plain number is not a template', 42],
  ['single expression keeps a number', '${{ parameters.count }}'],
  ['single expression keeps a fraction', '${{ parameters.ratio }}'],
  ['single expression keeps true', '${{ parameters.enabled }}'],
  ['single expression keeps false', '${{ parameters.disabled }}'],
  ['single expression keeps an object', '${{ parameters.labels }}'],
  ['single expression keeps an array', '${{ parameters.tags }}'],
  ['single expression keeps null', '${{ parameters.nothing }}'],
  ['single expression keeps a string', '${{ parameters.name }}'],
  ['a numeric string stays a string', '${{ parameters.numberString }}'],
  ['whitespace control still single', '${{- parameters.count -}}'],
  ['multi-line single expression', '${{\n  parameters.count\n}}'],
  ['literal empty string is kept', { v: '${{ "" }}' }],
  ['none literal', '${{ none }}'],
  ['null literal', '${{ null }}'],
  ['object literal with bare keys', '${{ {size: parameters.count, "name": parameters.name} }}'],
  ['array literal', '${{ [parameters.count, parameters.name] }}'],
  ['mixed text', 'svc-${{ parameters.name }}'],
  ['number in text', 'count=${{ parameters.count }}'],
  ['leading space makes text', ' ${{ parameters.count }}'],
  ['trailing text makes text', '${{ parameters.count }} items'],
  ['two expressions make text', '${{ parameters.count }}${{ parameters.count }}'],
  ['array printed in text', 'tags: ${{ parameters.tags }}'],
  ['object printed in text', 'labels: ${{ parameters.labels }}'],
  ['null printed in text', '[${{ parameters.nothing }}]'],
  ['booleans printed in text', '${{ parameters.enabled }}/${{ parameters.disabled }}'],
  ['single statement becomes JSON', '{% if parameters.enabled %}42{% endif %}'],
  ['single statement stays text', '{% if parameters.enabled %}on{% else %}off{% endif %}'],

  // Undefined values.
  ['undefined drops the key', { a: '${{ parameters.missing }}', b: 'kept' }],
  ['nested undefined member access', { a: '${{ parameters.missing.deeper.still }}' }],
  ['member of null is undefined', { a: '${{ parameters.nothing.x }}' }],
  ['undefined array item becomes null', ['${{ parameters.missing }}', 'x']],
  ['undefined inside text', 'a-${{ parameters.missing }}-b'],
  ['empty string parameter is kept', { v: '${{ parameters.emptyString }}' }],
  ['empty plain string is dropped', { v: '' }],
  ['statement rendering nothing is dropped', { v: '{% if parameters.disabled %}x{% endif %}' }],
  ['nested input structure', { a: { b: ['${{ parameters.count }}', { c: '${{ parameters.missing }}', d: true }] } }],

  // Operators.
  ['strict equality', '${{ parameters.count === 3 }}'],
  ['strict inequality', '${{ parameters.name !== "x" }}'],
  ['strict equality of different types', '${{ parameters.numberString === 42 }}'],
  ['equality', '${{ parameters.count == 3 }}'],
  ['loose equality across types', '${{ parameters.numberString == 42 }}', {
    known_difference: 'Nunjucks `==` is JavaScript loose equality ("42" == 42); minijinja compares types.',
  }],
  ['and', '${{ parameters.enabled and parameters.disabled }}'],
  ['or returns an operand', '${{ parameters.missing or "fallback" }}'],
  ['not', '${{ not parameters.disabled }}'],
  ['inline if', '${{ "yes" if parameters.enabled else "no" }}'],
  ['inline if without else', { v: '${{ "yes" if parameters.disabled }}' }],
  ['inline if without else in text', 'a${{ "yes" if parameters.disabled }}b${{ [1 if parameters.disabled, 2] }}'],
  ['comparison', '${{ parameters.count > 2 }}'],
  ['arithmetic', '${{ parameters.count + 1 }}'],
  ['division gives a fraction', '${{ parameters.count / 2 }}'],
  ['whole division prints as an integer', 'x${{ 4 / 2 }}'],
  ['concatenation', '${{ parameters.name ~ "-x" }}'],
  ['concatenation of a number', '${{ "v" ~ parameters.count }}'],
  ['concatenation of a boolean', '${{ "v" ~ parameters.enabled }}', {
    known_difference: 'minijinja prints `~` operands itself: booleans as True/False and whole fractions as 2.0.',
  }],
  ['concatenation of a fraction', '${{ "v" ~ parameters.ratio * 4 }}', {
    known_difference: 'minijinja prints `~` operands itself: booleans as True/False and whole fractions as 2.0.',
  }],
  ['string plus string', '${{ parameters.name + "-x" }}'],
  ['membership', '${{ "api" in parameters.tags }}'],
  ['index access', '${{ parameters.tags[0] }}'],
  ['bracket access', '${{ parameters.labels["app"] }}'],

  // The task context.
  ['each.value', '${{ each.value }}', { context: 'each' }],
  ['each.key', 'key=${{ each.key }}', { context: 'each' }],
  ['each.value member', '${{ each.value.port }}', { context: 'each' }],
  ['step output', '${{ steps.fetch.output.targetPath }}'],
  ['step output keeps its type', '${{ steps.fetch.output.count }}'],
  ['output of a missing step', { v: '${{ steps.nope.output.x }}' }],
  ['task output links', { links: [{ title: 'Repository', url: '${{ steps.publish.output.remoteUrl }}' }] }],
  ['user entity name', '${{ user.entity.metadata.name }}'],
  ['user ref', '${{ user.ref }}'],
  ['user profile in text', 'Owner: ${{ user.entity.spec.profile.displayName }}'],
  ['task id', '${{ context.task.id }}'],
  ['secret', '${{ secrets.token }}'],
  ['environment parameter', '${{ environment.parameters.region }}'],

  // Backstage's filters.
  ['parseRepoUrl', '${{ parameters.repoUrl | parseRepoUrl }}'],
  ['parseRepoUrl member', '${{ (parameters.repoUrl | parseRepoUrl).owner }}'],
  ['parseRepoUrl GitLab project id', '${{ parameters.gitlabProject | parseRepoUrl }}'],
  ['parseRepoUrl Bitbucket Cloud', '${{ parameters.bitbucketUrl | parseRepoUrl }}'],
  ['parseRepoUrl without repo', { repoUrl: '${{ "github.com?owner=o" | parseRepoUrl }}' }],
  ['parseRepoUrl without host', { repoUrl: '${{ "?owner=o&repo=r" | parseRepoUrl }}' }],
  ['parseRepoUrl unknown host', { repoUrl: '${{ "example.com?owner=o&repo=r" | parseRepoUrl }}' }],
  ['projectSlug', '${{ parameters.repoUrl | projectSlug }}'],
  ['projectSlug without owner', { slug: '${{ "github.com?repo=r" | projectSlug }}' }],
  ['parseEntityRef', '${{ parameters.owner | parseEntityRef }}'],
  ['parseEntityRef with defaults', '${{ parameters.ownerShort | parseEntityRef({ defaultKind: "group", defaultNamespace: "other" }) }}'],
  ['parseEntityRef without kind', { owner: '${{ parameters.ownerShort | parseEntityRef }}' }],
  ['parseEntityRef malformed', { owner: '${{ "group:/x" | parseEntityRef }}' }],
  ['parseEntityRef member', '${{ (parameters.owner | parseEntityRef).name }}'],
  ['pick', '${{ parameters.owner | parseEntityRef | pick("namespace") }}'],
  ['pick a path', '${{ parameters | pick("nested.deep.value") }}'],
  ['pick a missing key', { v: '${{ parameters | pick("nope") }}' }],

  // Nunjucks' built-in filters.
  ['dump of an object, single', '${{ parameters.labels | dump }}'],
  ['dump in text', 'labels=${{ parameters.labels | dump }}'],
  ['dump with indent', 'x${{ parameters.labels | dump(2) }}'],
  ['dump of a string', 'q=${{ parameters.description | dump }}'],
  ['dump of undefined', 'u=${{ parameters.missing | dump }}'],
  ['replace', '${{ parameters.name | replace("-", "_") }}'],
  ['lower and upper', '${{ parameters.mixed | lower }} ${{ parameters.mixed | upper }}'],
  ['default for undefined', '${{ parameters.missing | default("dflt") }}'],
  ['default keeps null', '${{ parameters.nothing | default("dflt") }}'],
  ['default for falsy', '${{ parameters.emptyString | default("dflt", true) }}'],
  ['join', '${{ parameters.tags | join(", ") }}'],
  ['length of an array', '${{ parameters.tags | length }}'],
  ['length of a string', '${{ parameters.name | length }}'],
  ['length of an object', '${{ parameters.labels | length }}'],
  ['length property of an array', '${{ parameters.tags.length }}'],
  ['length property in a condition', '${{ parameters.empty.length > 0 }}'],
  ['length property counts UTF-16', '${{ "h\u00e9llo\ud83d\ude00".length }}'],
  ['first and last', '${{ parameters.tags | first }}-${{ parameters.tags | last }}'],
  ['title', '${{ "hello big-world" | title }}'],
  ['capitalize', '${{ "hELLO world" | capitalize }}'],
  ['trim', '[${{ parameters.padded | trim }}]'],
  ['string method', '${{ parameters.name.toUpperCase() }}'],
  ['split method', '${{ parameters.path.split("/") }}'],
  ['filter chain', '${{ parameters.name | replace("-", "") | upper }}'],
  ['join without separator', '${{ parameters.tags | join }}'],
  ['d alias', '${{ parameters.missing | d("x") }}'],
  ['key with a dash', '${{ parameters["my-key"] }}', { context: 'each' }],
  ['annotation lookup', { v: '${{ user.entity.metadata.annotations["backstage.io/x"] }}' }],
  ['range', '${{ range(3) }}'],
  ['string length property', '${{ parameters.name.length }}'],
  ['includes method', '${{ parameters.tags.includes("api") }}'],
  ['lastIndexOf method', '${{ parameters.path.lastIndexOf("/") }}'],
  ['array methods', '${{ parameters.tags.join("+") }} ${{ parameters.tags.indexOf("java") }} ${{ parameters.tags.slice(1) }}'],
  ['methods Backstage does not allow', { v: '${{ parameters.name.replaceAll("-", "_") }}' }],
  ['dict methods outside cookiecutter', { v: '${{ parameters.labels.items() }}' }],
  ['startsWith method', '${{ parameters.name.startsWith("my") }}'],
  ['replace method replaces the first', '${{ "a-b-c".replace("-", "_") }}'],
  ['method on undefined', { v: '${{ parameters.missing.trim() }}' }],
  ['first then upper', '${{ parameters.tags | first | upper }}'],
  ['dump with indent, single', '${{ parameters.labels | dump(2) }}'],
  ['escaped newline in a string', '${{ "multi\\nline" }}'],
  ['template include is refused', { v: '{% include "other" %}' }],
  ['unknown function', { v: '${{ nope() }}' }],
  ['syntax error', { repoUrl: '${{ parameters.name | }}' }],
  ['unterminated expression', { v: 'a ${{ parameters.name' }],
  ['regex replace', '${{ parameters.name | replace(r/-/g, ".") }}', {
    known_difference: 'Nunjucks regular-expression literals (r/…/g) are not supported.',
  }],
  ['null test', '${{ parameters.nothing is null }}'],
  ['defined test', '${{ parameters.missing is defined }}'],
  ['sort filter', '${{ ["b", "a", "c"] | sort }}'],
  ['reverse filter', '${{ parameters.tags | reverse }}'],
  ['int filter', '${{ parameters.numberString | int + 1 }}'],
  ['round filter', '${{ 2.567 | round(1) }}'],
  ['string filter of an array', '${{ parameters.tags | string }}'],
  ['truncate filter', '${{ "a long sentence here" | truncate(9) }}'],

  // Every other Nunjucks built-in filter, once.
  ...[
    ['abs', '${{ -3 | abs }}'],
    ['batch', '${{ [1, 2, 3] | batch(2) | dump }}'],
    ['center', '[${{ "ab" | center(6) }}]'],
    ['dictsort', '${{ parameters.labels | dictsort | dump }}'],
    ['escape', '${{ "<a>" | escape }}'],
    ['float', '${{ "2.5" | float + 1 }}'],
    ['groupby', '${{ [{k: "a", v: 1}, {k: "b", v: 2}, {k: "a", v: 3}] | groupby("k") | dump }}'],
    ['indent', '${{ "a\\nb" | indent(2) }}'],
    ['list', '${{ "ab" | list | dump }}'],
    ['nl2br', '${{ "a\\nb" | nl2br }}'],
    ['reject', '${{ [0, 1, 2] | reject("odd") | dump }}'],
    ['rejectattr', '${{ [{a: true}, {a: false}] | rejectattr("a") | dump }}'],
    ['safe', '${{ "<b>" | safe }}'],
    ['select', '${{ [0, 1, 2, 3] | select("even") | dump }}'],
    ['selectattr', '${{ [{a: true}, {a: false}] | selectattr("a") | dump }}'],
    ['slice', '${{ [1, 2, 3, 4] | slice(2) | dump }}'],
    ['sum', '${{ [1, 2, 3] | sum }}'],
    ['striptags', '${{ "<p>hi <b>there</b></p>" | striptags }}'],
    ['urlencode', '${{ "a b&c" | urlencode }}'],
    ['urlize', '${{ "see https://example.com" | urlize }}'],
    ['wordcount', '${{ "one two three" | wordcount }}'],
  ].map(([filter, template]) => [`${filter} filter`, template, { mode: 'text', ...htmlOnly(filter) }]),

  // File text (fetch:template).
  ['if block in text', '{% if parameters.enabled %}on{% else %}off{% endif %}\n', { mode: 'text' }],
  ['trailing newline is kept', 'name: ${{ parameters.name }}\n', { mode: 'text' }],
  ['whitespace control', 'a\n  {%- if true -%}\n  b\n  {%- endif %}\nc\n', { mode: 'text' }],
  ['for loop', '{% for t in parameters.tags %}- ${{ t }}\n{% endfor %}', { mode: 'text' }],
  ['loop variables', '{% for t in parameters.tags %}${{ loop.index }}/${{ loop.length }}{% if not loop.last %},{% endif %}{% endfor %}', { mode: 'text' }],
  ['for over object entries', '{% for k, v in parameters.labels %}${{ k }}=${{ v }};{% endfor %}', { mode: 'text' }],
  ['empty array is truthy', '{% if parameters.empty %}yes{% else %}no{% endif %}', { mode: 'text' }],
  ['empty object is truthy', '{% if parameters.emptyObj %}yes{% else %}no{% endif %}', { mode: 'text' }],
  ['elseif', '{% if parameters.disabled %}a{% elseif parameters.enabled %}b{% endif %}', { mode: 'text' }],
  ['comment', 'a{# hidden #}b', { mode: 'text' }],
  ['set', '{% set doubled = parameters.count * 2 %}${{ doubled }}', { mode: 'text' }],
  ['macro', '{% macro greet(n) %}hi ${{ n }}{% endmacro %}${{ greet(parameters.name) }}', { mode: 'text' }],
  ['jinja variables are plain text', '{{ parameters.name }} ${{ parameters.name }}', { mode: 'text' }],
  ['fraction in text', '${{ parameters.ratio * 3 }}', { mode: 'text' }],
  ['undefined in text', '[${{ parameters.missing.x }}]', { mode: 'text' }],

  ['catalog-info.yaml skeleton', [
    'apiVersion: backstage.io/v1alpha1',
    'kind: Component',
    'metadata:',
    '  name: ${{ values.name | dump }}',
    '  {%- if values.description %}',
    '  description: ${{ values.description | dump }}',
    '  {%- endif %}',
    '  {%- if values.missing %}',
    '  missing: yes',
    '  {%- endif %}',
    'spec:',
    '  owner: ${{ values.owner | parseEntityRef | pick("name") }}',
    '  port: ${{ values.port + 1 }}',
    '',
  ].join('\n'), { mode: 'text', context: 'skeleton' }],
  ['raw block', '{% raw %}${{ values.name }}{% endraw %}', { mode: 'text', context: 'skeleton' }],
  ['empty loop else', '{% for t in parameters.empty %}x{% else %}none{% endfor %}', { mode: 'text' }],
  ['loop index0', '{% for t in parameters.tags %}${{ loop.index0 }}${{ t }} {% endfor %}', { mode: 'text' }],
  ['float arithmetic in text', '${{ 0.1 + 0.2 }}', { mode: 'text' }],
  ['integer operators', '${{ 10 // 3 }} ${{ 2 ** 10 }} ${{ 7 % 3 }} ${{ -parameters.count }}', { mode: 'text' }],

  ['trimBlocks', 'a\n{% if true %}\nb\n{% endif %}\nc\n', { mode: 'text', trimBlocks: true }],
  ['lstripBlocks', 'a\n    {% if true %}\nb\n    {% endif %}\nc\n', { mode: 'text', lstripBlocks: true }],
  ['trimBlocks and lstripBlocks', '<ul>\n  {% for t in parameters.tags %}\n  <li>${{ t }}</li>\n  {% endfor %}\n</ul>\n', {
    mode: 'text', trimBlocks: true, lstripBlocks: true,
  }],

  // Cookiecutter compatibility.
  ['cookiecutter variable', '{{ cookiecutter.name }}\n', { mode: 'cookiecutter', context: 'cookiecutter' }],
  ['cookiecutter jsonify', '{{ cookiecutter.tags | jsonify }}', { mode: 'cookiecutter', context: 'cookiecutter' }],
  ['cookiecutter if', '{% if cookiecutter.enabled %}v{{ cookiecutter.version }}{% endif %}', { mode: 'cookiecutter', context: 'cookiecutter' }],
  ['cookiecutter Python method', '{{ cookiecutter.name.upper() }}', { mode: 'cookiecutter', context: 'cookiecutter' }],
  ['cookiecutter Python literals', '{% if cookiecutter.enabled == True %}yes{% endif %}{{ None }}', { mode: 'cookiecutter', context: 'cookiecutter' }],
  ['cookiecutter slice', '{{ cookiecutter.tags[0:1] | jsonify }}', { mode: 'cookiecutter', context: 'cookiecutter' }],
  ['cookiecutter items', '{% for k, v in cookiecutter.items() %}{{ k }};{% endfor %}', { mode: 'cookiecutter', context: 'cookiecutter' }],
  ['cookiecutter leaves ${ alone', '${{ cookiecutter.name }}', { mode: 'cookiecutter', context: 'cookiecutter' }],

  // Step conditions.
  ['if true expression', '${{ parameters.enabled }}', { mode: 'condition' }],
  ['if false expression', '${{ parameters.disabled }}', { mode: 'condition' }],
  ['if empty array', '${{ parameters.empty }}', { mode: 'condition' }],
  ['if empty object', '${{ parameters.emptyObj }}', { mode: 'condition' }],
  ['if undefined', '${{ parameters.missing }}', { mode: 'condition' }],
  ['if zero', '${{ parameters.zero }}', { mode: 'condition' }],
  ['if the text false', 'false', { mode: 'condition' }],
  ['if false literal', false, { mode: 'condition' }],
  ['if true literal', true, { mode: 'condition' }],
  ['if comparison', '${{ parameters.count === 3 and parameters.name !== "" }}', { mode: 'condition' }],
  ['after a failure, plain if', '${{ parameters.enabled }}', { mode: 'condition', failed: true }],
  ['after a failure, always()', '${{ always() }}', { mode: 'condition', failed: true }],
  ['after a failure, failure()', '${{ failure() }}', { mode: 'condition', failed: true }],
  ['failure() without a failure', '${{ failure() }}', { mode: 'condition' }],
  ['after a failure, no if', true, { mode: 'condition', failed: true }],
  ['after a failure, short-circuited failure()', '${{ parameters.disabled and failure() }}', { mode: 'condition', failed: true }],
  ['after a failure, always() and a false test', '${{ always() and parameters.disabled }}', { mode: 'condition', failed: true }],
];

function run([name, template, options = {}]) {
  const mode = options.mode ?? 'value';
  const contextName = options.context ?? 'standard';
  const context = contexts[contextName];
  const failed = options.failed ?? false;
  let result;
  if (mode === 'value') result = renderInput(template, context);
  else if (mode === 'condition') result = renderCondition(template, context, failed);
  else result = renderText(template, context, mode === 'cookiecutter', options);
  const out = { name, mode, context: contextName, template };
  if (mode === 'condition') out.failed = failed;
  if (options.trimBlocks) out.trim_blocks = true;
  if (options.lstripBlocks) out.lstrip_blocks = true;
  out.expected = result.value;
  if (result.errors.length > 0) out.error = result.errors[0];
  if (options.known_difference) out.known_difference = options.known_difference;
  return out;
}

const output = {
  generated_by: 'tests/conformance/generate.js with @backstage/plugin-scaffolder-backend 4.3.0 and nunjitsu 0.7.0',
  contexts,
  cases: cases.map(run),
};
const target = path.join(__dirname, 'expressions.json');
fs.writeFileSync(target, JSON.stringify(output, null, 2) + '\n');
console.log(`${output.cases.length} cases written to ${target}`);
