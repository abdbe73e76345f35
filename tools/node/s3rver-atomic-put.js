'use strict';
// Loaded with `node --require` before s3rver. S3 never shows part of an object: a PUT cut short leaves the previous
// object. s3rver 3.7.1 writes the new content over the object file in place, so a cut-short PUT leaves a truncated
// object under the old ETag. This makes its writes atomic as S3's are: a temporary file (which its listings ignore,
// as it lacks the object suffix), renamed over the object once complete.
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { Transform, pipeline } = require('stream');

const FilesystemStore = require(require.resolve('s3rver/lib/stores/filesystem.js', { paths: [__dirname] }));

FilesystemStore.prototype.putObject = async function putObject(object) {
  const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
  await fs.promises.mkdir(path.dirname(objectPath), { recursive: true });
  const temporary = `${objectPath}.${crypto.randomBytes(6).toString('hex')}.uploading`;
  const md5Context = crypto.createHash('md5');
  let size = 0;
  try {
    if (Buffer.isBuffer(object.content)) {
      md5Context.update(object.content);
      size = object.content.length;
      await fs.promises.writeFile(temporary, object.content);
    } else {
      const measure = new Transform({
        transform(chunk, encoding, callback) {
          md5Context.update(chunk, encoding);
          size += chunk.length;
          callback(null, chunk);
        },
      });
      await new Promise((resolve, reject) =>
        pipeline(object.content, measure, fs.createWriteStream(temporary), error => (error ? reject(error) : resolve())),
      );
    }
    await fs.promises.rename(temporary, objectPath);
  } catch (error) {
    await fs.promises.rm(temporary, { force: true });
    throw error;
  }
  const md5 = md5Context.digest('hex');
  await this.putMetadata(object.bucket, object.key, object.metadata, md5);
  return { size, md5 };
};
