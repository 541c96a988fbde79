'use strict'
// Cross-decryption between dekcache (the openssl CLI with our provider) and
// the official AWS Encryption SDK for JavaScript. Run by esdk_js_interop.sh,
// which installs the packages, starts dekcache-kms-local and writes one
// openssl.cnf per keyring and suite into INTEROP_WORK.
const fs = require('fs')
const path = require('path')
const crypto = require('crypto')
const { spawnSync } = require('child_process')
const {
  buildClient,
  CommitmentPolicy,
  AlgorithmSuiteIdentifier,
  KmsKeyringNode,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier
} = require('@aws-crypto/client-node')
const { KMS } = require('@aws-sdk/client-kms')

const env = process.env
const work = env.INTEROP_WORK
// The default key of dekcache-kms-local, by the ARN its responses name it with.
const KMS_KEY_ARN = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab'
const SUITES = {
  '0x0478': AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY,
  '0x0578': AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY_ECDSA_P384
}
const SIZES = [0, 1, 4096, 100000]
const KEYRINGS = ['kms', 'aes']
const CASE_TIMEOUT_MS = 30000
// Our context as -pkeyopt encodes it, and the pairs it must arrive as:
// '%2C' is a comma, '%C3%BC' the UTF-8 of 'ü'.
const OUR_CONTEXT_PARAM = 'tenant=acme,purpose=backup%2Cdaily,city=Z%C3%BCrich'
const OUR_CONTEXT = { tenant: 'acme', purpose: 'backup,daily', city: 'Zürich' }
const JS_DEFAULT_FRAME_LENGTH = 4096

const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT)

function makeKeyrings () {
  const kms = new KMS({
    region: 'us-east-1',
    endpoint: env.INTEROP_KMS_ENDPOINT,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
    maxAttempts: 2
  })
  return {
    kms: new KmsKeyringNode({ generatorKeyId: KMS_KEY_ARN, clientProvider: () => kms }),
    aes: new RawAesKeyringNode({
      keyNamespace: env.INTEROP_AES_NAMESPACE,
      keyName: env.INTEROP_AES_NAME,
      unencryptedMasterKey: new Uint8Array(fs.readFileSync(path.join(work, 'aes.key'))),
      wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING
    })
  }
}

// Runs the openssl program with one of the configs; throws with its stderr
// unless it exits 0 within the time limit.
function openssl (conf, args) {
  const childEnv = { ...env, OPENSSL_CONF: path.join(work, `${conf}.cnf`) }
  if (env.INTEROP_PRELOAD) {
    // As in raw_key_env.sh: no leak check in the uninstrumented openssl
    // (clang 14's LeakSanitizer crashes on its dynamic TLS); valgrind_clean.sh
    // and the CUnit tests cover those paths.
    childEnv.LD_PRELOAD = env.INTEROP_PRELOAD
    childEnv.ASAN_OPTIONS = 'detect_leaks=0:abort_on_error=1'
  }
  const run = spawnSync(env.INTEROP_OPENSSL, args, { env: childEnv, timeout: CASE_TIMEOUT_MS })
  if (run.error) throw new Error(`openssl ${args.join(' ')}: ${run.error.message}`)
  if (run.status !== 0) {
    const how = run.signal ? `was killed by ${run.signal}` : `exited ${run.status}`
    throw new Error(`openssl ${args.join(' ')} ${how}: ${run.stderr.toString().trim()}`)
  }
}

// openssl must reject the input; returns its stderr.
function opensslFails (conf, args) {
  try {
    openssl(conf, args)
  } catch (e) {
    return e.message
  }
  throw new Error(`openssl ${args.join(' ')} succeeded but should have failed`)
}

function expectSame (actual, expected, what) {
  if (!Buffer.from(actual).equals(expected)) {
    throw new Error(`${what}: ${actual.length} bytes differ from the ${expected.length} expected`)
  }
}

function expectEqual (actual, expected, what) {
  if (actual !== expected) throw new Error(`${what}: got ${actual}, expected ${expected}`)
}

function expectContext (seen, expected) {
  for (const [key, value] of Object.entries(expected)) {
    if (seen[key] !== value) {
      throw new Error(`encryption context ${key}: got ${JSON.stringify(seen[key])}, expected ${JSON.stringify(value)}`)
    }
  }
}

function withTimeout (promise, name) {
  let timer
  const limit = new Promise((resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no result after ${CASE_TIMEOUT_MS} ms`)), CASE_TIMEOUT_MS)
  })
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer))
}

const tally = { passed: 0, failed: 0 }
async function check (name, body) {
  try {
    await withTimeout(Promise.resolve().then(body), name)
    tally.passed++
    console.log(`ok: ${name}`)
  } catch (e) {
    tally.failed++
    console.log(`FAIL: ${name}: ${e.message}`)
  }
}

function plaintextFile (size) {
  const file = path.join(work, `plain-${size}`)
  if (!fs.existsSync(file)) fs.writeFileSync(file, crypto.randomBytes(size))
  return { file, bytes: fs.readFileSync(file) }
}

// JS decrypts what we wrote and must see the suite, frame length and context.
async function jsDecryptsOurs (keyring, ct, plain, suite, context) {
  const { plaintext, messageHeader } = await decrypt(keyring, fs.readFileSync(ct))
  expectSame(plaintext, plain, 'plaintext')
  expectEqual(messageHeader.suiteId, SUITES[suite], 'suite')
  expectEqual(messageHeader.frameLength, 4096, 'frame length')
  expectContext(messageHeader.encryptionContext, context)
}

async function oursToJs (keyrings) {
  for (const kr of KEYRINGS) {
    for (const suite of Object.keys(SUITES)) {
      const conf = `${kr}-${suite.slice(2)}`
      for (const size of SIZES) {
        const { file, bytes } = plaintextFile(size)
        const ct = path.join(work, `ours-enc-${conf}-${size}`)
        await check(`openssl enc -e (${kr}, ${suite}, ${size} B) -> ESDK-JS decrypt`, async () => {
          openssl(conf, ['enc', '-e', '-dekcache', '-K', '', '-in', file, '-out', ct])
          await jsDecryptsOurs(keyrings[kr], ct, bytes, suite, {})
        })
      }
      // The suite comes from -pkeyopt here, the config always says 0x0478.
      for (const size of [1, 100000]) {
        const { file, bytes } = plaintextFile(size)
        const ct = path.join(work, `ours-pkeyutl-${conf}-${size}`)
        await check(`openssl pkeyutl -encrypt with context (${kr}, ${suite}, ${size} B) -> ESDK-JS decrypt`, async () => {
          openssl(`${kr}-0478`, ['pkeyutl', '-encrypt', '-inkey', 'dekcache:',
            '-pkeyopt', `encryption-context:${OUR_CONTEXT_PARAM}`, '-pkeyopt', `algorithm-suite:${suite}`,
            '-in', file, '-out', ct])
          await jsDecryptsOurs(keyrings[kr], ct, bytes, suite, OUR_CONTEXT)
        })
      }
    }
  }
}

// JS encrypts with its default frame length; both openssl paths decrypt it.
async function jsToOurs (keyrings) {
  for (const kr of KEYRINGS) {
    for (const suite of Object.keys(SUITES)) {
      for (const size of SIZES) {
        const { bytes } = plaintextFile(size)
        const ct = path.join(work, `js-${kr}-${suite}-${size}`)
        const back = `${ct}.back`
        const label = `(${kr}, ${suite}, ${size} B)`
        let written = false
        await check(`ESDK-JS encrypt ${label}`, async () => {
          const { result, messageHeader } = await encrypt(keyrings[kr], bytes, {
            suiteId: SUITES[suite],
            encryptionContext: { origin: 'esdk-js', size: String(size) }
          })
          expectEqual(messageHeader.frameLength, JS_DEFAULT_FRAME_LENGTH, 'frame length')
          fs.writeFileSync(ct, result)
          written = true
        })
        if (!written) continue
        await check(`ESDK-JS encrypt ${label} -> openssl enc -d`, () => {
          openssl(`${kr}-0478`, ['enc', '-d', '-dekcache', '-K', '', '-in', ct, '-out', back])
          expectSame(fs.readFileSync(back), bytes, 'plaintext')
        })
        await check(`ESDK-JS encrypt ${label} -> openssl pkeyutl -decrypt`, () => {
          openssl(`${kr}-0478`, ['pkeyutl', '-decrypt', '-inkey', 'dekcache:', '-in', ct, '-out', back])
          expectSame(fs.readFileSync(back), bytes, 'plaintext')
        })
      }
    }
  }
}

// We read JS's context: reproducing it decrypts, contradicting it does not.
async function jsContextReproduced () {
  for (const kr of KEYRINGS) {
    const ct = path.join(work, `js-${kr}-0x0578-4096`)
    const { bytes } = plaintextFile(4096)
    const back = `${ct}.ctx`
    await check(`ESDK-JS encrypt (${kr}) -> openssl pkeyutl -decrypt with the context reproduced`, () => {
      openssl(`${kr}-0478`, ['pkeyutl', '-decrypt', '-inkey', 'dekcache:?origin=esdk-js,size=4096',
        '-in', ct, '-out', back])
      expectSame(fs.readFileSync(back), bytes, 'plaintext')
    })
    await check(`ESDK-JS encrypt (${kr}) -> openssl pkeyutl -decrypt with a contradicting context fails`, () => {
      const err = opensslFails(`${kr}-0478`, ['pkeyutl', '-decrypt', '-inkey', 'dekcache:?origin=other',
        '-in', ct, '-out', back])
      if (!/encryption context does not match/.test(err)) throw new Error(`unclear error: ${err}`)
    })
  }
}

async function main () {
  const keyrings = makeKeyrings()
  await oursToJs(keyrings)
  await jsToOurs(keyrings)
  await jsContextReproduced()
  console.log(`interop: ${tally.passed} passed, ${tally.failed} failed`)
  process.exitCode = tally.failed === 0 ? 0 : 1
}

main().catch(e => {
  console.log(`FAIL: ${e.stack}`)
  console.log(`interop: ${tally.passed} passed, ${tally.failed + 1} failed`)
  process.exitCode = 1
})
