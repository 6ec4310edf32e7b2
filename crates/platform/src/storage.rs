//! File storage behind one interface (object_store): the `files/` folder of the data dir, or
//! an S3-compatible bucket when `storage.s3` is configured (ADR 039). Keys are opaque, never
//! user input. Large files go up and come down in pieces, never whole in memory.

use crate::config::{Config, S3Config};
use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{
    BackoffConfig, ClientOptions, ObjectStore, PutPayload, RetryConfig, WriteMultipart,
};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Files larger than this go up as a multipart upload in parts of this size (S3 wants at
/// least 5 MiB a part); smaller ones in one request.
pub const PART_BYTES: usize = 8 * 1024 * 1024;
/// Parts of one upload in flight at once (memory: about this many parts plus one).
const PARTS_IN_FLIGHT: usize = 2;

#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
    /// Where the objects are, for messages: a folder, or `bucket B at ENDPOINT`.
    place: Arc<str>,
}

impl Storage {
    /// The store `config` names: its S3 bucket (after checking that the bucket answers), or
    /// else `data_dir/files`.
    pub async fn open(config: &Config) -> anyhow::Result<Storage> {
        match &config.storage.s3 {
            Some(s3) => Storage::s3(s3).await,
            None => Storage::local(&config.data_dir.join("files")),
        }
    }

    pub fn local(root: &Path) -> anyhow::Result<Storage> {
        std::fs::create_dir_all(root)?;
        Ok(Storage {
            store: Arc::new(LocalFileSystem::new_with_prefix(root)?),
            place: format!("the folder {}", root.display()).into(),
        })
    }

    /// The bucket of `cfg`, path-style. Fails with one line when the bucket cannot be listed
    /// (endpoint unreachable, no such bucket, keys refused), so a server never starts on a
    /// store it cannot use. Requests are retried with exponential back-off.
    pub async fn s3(cfg: &S3Config) -> anyhow::Result<Storage> {
        let endpoint = if cfg.endpoint.is_empty() {
            format!("Amazon S3 ({})", cfg.region)
        } else {
            cfg.endpoint.clone()
        };
        let place: Arc<str> = format!("bucket {:?} at {endpoint}", cfg.bucket).into();
        // The start-up check gives up sooner than the requests of a running server.
        let probe = s3_store(cfg, retries(2, Duration::from_secs(10)))?;
        let first = probe.list(Some(&StorePath::from("originals"))).next().await;
        if let Some(Err(e)) = first {
            let text = one_line(&e);
            let why = if matches!(e, object_store::Error::NotFound { .. })
                || text.contains("NoSuchBucket")
            {
                "it does not exist".to_string()
            } else if text.contains("403 Forbidden") {
                format!("the keys were refused ({text})")
            } else {
                text
            };
            anyhow::bail!("storage: cannot use the S3 {place}: {why}");
        }
        Ok(Storage {
            store: s3_store(cfg, retries(6, Duration::from_secs(120)))?,
            place,
        })
    }

    /// Where the objects are, e.g. `bucket "docs" at http://127.0.0.1:9000`.
    pub fn place(&self) -> &str {
        &self.place
    }

    pub async fn put(&self, key: &str, data: Bytes) -> object_store::Result<()> {
        self.store
            .put(&StorePath::from(key), PutPayload::from_bytes(data))
            .await?;
        Ok(())
    }

    /// Stores a local file: in one request up to [`PART_BYTES`], else read and sent part by
    /// part (a large original is never held in memory whole).
    pub async fn put_file(&self, key: &str, path: &Path) -> anyhow::Result<()> {
        let mut file = tokio::fs::File::open(path).await?;
        let len = file.metadata().await?.len();
        if len <= PART_BYTES as u64 {
            let mut data = Vec::with_capacity(len as usize);
            file.read_to_end(&mut data).await?;
            self.put(key, Bytes::from(data)).await?;
            return Ok(());
        }
        let chunks = futures_util::stream::unfold(file, |mut f| async move {
            let mut buf = BytesMut::with_capacity(1024 * 1024);
            match f.read_buf(&mut buf).await {
                Ok(0) => None,
                Ok(_) => Some((Ok(buf.freeze()), f)),
                Err(e) => Some((Err(anyhow::Error::from(e)), f)),
            }
        });
        self.put_parts(key, Box::pin(chunks)).await
    }

    /// Writes what `chunks` yields to `key` as a multipart upload; on any error the upload
    /// is aborted, so no half-written object appears.
    async fn put_parts<S>(&self, key: &str, mut chunks: S) -> anyhow::Result<()>
    where
        S: Stream<Item = anyhow::Result<Bytes>> + Unpin,
    {
        let upload = self.store.put_multipart(&StorePath::from(key)).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let sent = async {
            while let Some(chunk) = chunks.next().await {
                writer.wait_for_capacity(PARTS_IN_FLIGHT).await?;
                writer.write(&chunk?);
            }
            Ok::<(), anyhow::Error>(())
        }
        .await;
        match sent {
            Ok(()) => {
                writer.finish().await?;
                Ok(())
            }
            Err(e) => {
                let _ = writer.abort().await;
                Err(e)
            }
        }
    }

    pub async fn get(&self, key: &str) -> object_store::Result<Bytes> {
        self.store.get(&StorePath::from(key)).await?.bytes().await
    }

    /// An object as it arrives, to pass on to a client without holding it whole.
    pub async fn get_stream(&self, key: &str) -> object_store::Result<ObjectStream> {
        let got = self.store.get(&StorePath::from(key)).await?;
        Ok(ObjectStream {
            size: got.meta.size,
            chunks: got.into_stream(),
        })
    }

    /// Copies an object to a local file piece by piece (the converter works on files).
    pub async fn get_to_file(&self, key: &str, dest: &Path) -> anyhow::Result<()> {
        let mut stream = self.store.get(&StorePath::from(key)).await?.into_stream();
        let mut file = tokio::fs::File::create(dest).await?;
        while let Some(chunk) = stream.next().await {
            file.write_all(&chunk?).await?;
        }
        file.flush().await?;
        Ok(())
    }

    pub async fn exists(&self, key: &str) -> bool {
        self.store.head(&StorePath::from(key)).await.is_ok()
    }

    /// The size of an object; `None` if there is none.
    pub async fn size(&self, key: &str) -> object_store::Result<Option<u64>> {
        match self.store.head(&StorePath::from(key)).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every object (key and size), in no particular order.
    pub async fn objects(&self) -> object_store::Result<Vec<(String, u64)>> {
        self.list(None).await.map(|metas| {
            metas
                .into_iter()
                .map(|m| (m.location.to_string(), m.size))
                .collect()
        })
    }

    async fn list(
        &self,
        prefix: Option<&str>,
    ) -> object_store::Result<Vec<object_store::ObjectMeta>> {
        let prefix = prefix.map(StorePath::from);
        let mut listing = self.store.list(prefix.as_ref());
        let mut metas = Vec::new();
        while let Some(meta) = listing.next().await {
            match meta {
                Ok(m) => metas.push(m),
                // The local store's folder for the prefix does not exist: nothing there.
                Err(object_store::Error::NotFound { .. }) => break,
                Err(e) => return Err(e),
            }
        }
        Ok(metas)
    }

    /// Copies object `key` (of `size` bytes) to `dest` unless `dest` holds one of the same
    /// size already; whether it copied.
    pub async fn copy_to(&self, dest: &Storage, key: &str, size: u64) -> anyhow::Result<bool> {
        if dest.size(key).await? == Some(size) {
            return Ok(false);
        }
        if size <= PART_BYTES as u64 {
            dest.put(key, self.get(key).await?).await?;
        } else {
            let stream = self.store.get(&StorePath::from(key)).await?.into_stream();
            dest.put_parts(key, stream.map(|c| c.map_err(anyhow::Error::from)))
                .await?;
        }
        Ok(true)
    }

    /// Deletes every object under `prefix` (a document's pages, say).
    pub async fn delete_prefix(&self, prefix: &str) -> object_store::Result<()> {
        for meta in self.list(Some(prefix)).await? {
            self.delete(meta.location.as_ref()).await?;
        }
        Ok(())
    }

    pub async fn delete(&self, key: &str) -> object_store::Result<()> {
        match self.store.delete(&StorePath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// An object's size and its bytes in pieces, as they come from the store.
pub struct ObjectStream {
    pub size: u64,
    chunks: futures_util::stream::BoxStream<'static, object_store::Result<Bytes>>,
}

impl ObjectStream {
    /// A response body that sends the pieces on as they arrive.
    pub fn into_body(self) -> axum::body::Body {
        axum::body::Body::from_stream(self.chunks)
    }

    /// The whole object (for what must read all of it anyway).
    pub async fn bytes(self) -> object_store::Result<Bytes> {
        let mut all = BytesMut::with_capacity(self.size as usize);
        let mut chunks = self.chunks;
        while let Some(chunk) = chunks.next().await {
            all.extend_from_slice(&chunk?);
        }
        Ok(all.freeze())
    }
}

fn retries(max_retries: usize, retry_timeout: Duration) -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(10),
            base: 2.0,
        },
        max_retries,
        retry_timeout,
    }
}

fn s3_store(cfg: &S3Config, retry: RetryConfig) -> anyhow::Result<Arc<dyn ObjectStore>> {
    let mut b = AmazonS3Builder::new()
        .with_bucket_name(&cfg.bucket)
        .with_region(&cfg.region)
        .with_access_key_id(&cfg.access_key)
        .with_secret_access_key(&cfg.secret_key)
        .with_virtual_hosted_style_request(false)
        .with_retry(retry)
        .with_client_options(
            ClientOptions::new()
                .with_connect_timeout(Duration::from_secs(5))
                .with_timeout(Duration::from_secs(120)),
        );
    if !cfg.endpoint.is_empty() {
        // An operator who writes http:// means it (a bucket on the same host or network).
        b = b
            .with_endpoint(&cfg.endpoint)
            .with_allow_http(cfg.endpoint.starts_with("http://"));
    }
    let store = b
        .build()
        .map_err(|e| anyhow::anyhow!("storage.s3: {}", one_line(&e)))?;
    Ok(Arc::new(store))
}

/// An error and its causes on one line (object_store nests the HTTP error several deep).
fn one_line(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let s = c.to_string();
        if !text.contains(&s) {
            text.push_str(": ");
            text.push_str(&s);
        }
        cause = c.source();
    }
    text.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_get_and_delete_by_prefix() {
        let dir = tempfile::tempdir().unwrap();
        let s = Storage::local(dir.path()).unwrap();
        s.put("pages/5/page-0001.png", Bytes::from_static(b"a"))
            .await
            .unwrap();
        s.put("pages/5/page-0002.png", Bytes::from_static(b"b"))
            .await
            .unwrap();
        s.put("pages/50/page-0001.png", Bytes::from_static(b"c"))
            .await
            .unwrap();
        assert_eq!(s.get("pages/5/page-0002.png").await.unwrap().as_ref(), b"b");
        s.delete_prefix("pages/5").await.unwrap();
        assert!(!s.exists("pages/5/page-0001.png").await);
        assert!(!s.exists("pages/5/page-0002.png").await);
        assert!(
            s.exists("pages/50/page-0001.png").await,
            "a longer id with the same digits stays"
        );
        s.delete_prefix("nothing/here").await.unwrap();
    }

    /// A file of more than two parts goes up in parts and comes back byte for byte.
    #[tokio::test]
    async fn storage_a_large_file_goes_up_in_parts_and_comes_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        let s = Storage::local(&dir.path().join("store")).unwrap();
        let big = dir.path().join("big.bin");
        let data: Vec<u8> = (0..PART_BYTES * 2 + 12345)
            .map(|i| (i % 251) as u8)
            .collect();
        std::fs::write(&big, &data).unwrap();
        s.put_file("originals/big", &big).await.unwrap();
        assert_eq!(
            s.size("originals/big").await.unwrap(),
            Some(data.len() as u64)
        );
        let back = dir.path().join("back.bin");
        s.get_to_file("originals/big", &back).await.unwrap();
        assert!(std::fs::read(&back).unwrap() == data, "same bytes back");
        assert_eq!(s.size("originals/none").await.unwrap(), None);
        let missing = s
            .put_file("originals/x", &dir.path().join("no-such-file"))
            .await;
        assert!(missing.is_err() && !s.exists("originals/x").await);
    }

    /// Copying a store copies what the other lacks or holds with another size, once.
    #[tokio::test]
    async fn storage_copy_to_skips_what_is_there_already() {
        let dir = tempfile::tempdir().unwrap();
        let from = Storage::local(&dir.path().join("from")).unwrap();
        let to = Storage::local(&dir.path().join("to")).unwrap();
        from.put("originals/a", Bytes::from_static(b"aaa"))
            .await
            .unwrap();
        from.put("pages/1/page-0001.png", Bytes::from_static(b"p1"))
            .await
            .unwrap();
        to.put("pages/1/page-0001.png", Bytes::from_static(b"old"))
            .await
            .unwrap();
        let big = dir.path().join("big.bin");
        std::fs::write(&big, vec![7u8; PART_BYTES + 1]).unwrap();
        from.put_file("originals/big", &big).await.unwrap();
        let mut objects = from.objects().await.unwrap();
        objects.sort();
        assert_eq!(objects.len(), 3);
        let mut copied = 0;
        for (key, size) in &objects {
            copied += from.copy_to(&to, key, *size).await.unwrap() as u32;
        }
        assert_eq!(copied, 3, "a different size is copied over");
        assert_eq!(
            to.get("pages/1/page-0001.png").await.unwrap().as_ref(),
            b"p1"
        );
        assert_eq!(
            to.size("originals/big").await.unwrap(),
            Some(PART_BYTES as u64 + 1)
        );
        for (key, size) in &objects {
            assert!(!from.copy_to(&to, key, *size).await.unwrap(), "{key} again");
        }
    }

    #[test]
    fn storage_errors_fit_on_one_line() {
        let e = std::io::Error::other("line one\nline two");
        assert_eq!(one_line(&e), "line one line two");
    }
}
