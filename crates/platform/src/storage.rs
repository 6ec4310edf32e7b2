//! File storage behind one interface (object_store): local disk now, S3-compatible later
//! by swapping the store built in [`Storage::local`]. Keys are opaque, never user input.

use bytes::Bytes;
use object_store::local::LocalFileSystem;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, PutPayload};
use std::path::Path;
use std::sync::Arc;

#[derive(Clone)]
pub struct Storage {
    store: Arc<dyn ObjectStore>,
}

impl Storage {
    pub fn local(root: &Path) -> anyhow::Result<Storage> {
        std::fs::create_dir_all(root)?;
        Ok(Storage {
            store: Arc::new(LocalFileSystem::new_with_prefix(root)?),
        })
    }

    pub async fn put(&self, key: &str, data: Bytes) -> object_store::Result<()> {
        self.store
            .put(&StorePath::from(key), PutPayload::from_bytes(data))
            .await?;
        Ok(())
    }

    /// Stores a local file (read in full: previews and originals are bounded by the upload limit).
    pub async fn put_file(&self, key: &str, path: &Path) -> anyhow::Result<()> {
        let data = tokio::fs::read(path).await?;
        self.put(key, Bytes::from(data)).await?;
        Ok(())
    }

    pub async fn get(&self, key: &str) -> object_store::Result<Bytes> {
        self.store.get(&StorePath::from(key)).await?.bytes().await
    }

    /// Copies an object to a local file (the converter works on files).
    pub async fn get_to_file(&self, key: &str, dest: &Path) -> anyhow::Result<()> {
        let data = self.get(key).await?;
        tokio::fs::write(dest, &data).await?;
        Ok(())
    }

    pub async fn exists(&self, key: &str) -> bool {
        self.store.head(&StorePath::from(key)).await.is_ok()
    }

    /// Deletes every object under `prefix` (a document's pages, say).
    pub async fn delete_prefix(&self, prefix: &str) -> object_store::Result<()> {
        use futures_util::StreamExt;
        let mut listing = self.store.list(Some(&StorePath::from(prefix)));
        let mut keys = Vec::new();
        while let Some(meta) = listing.next().await {
            match meta {
                Ok(m) => keys.push(m.location),
                Err(object_store::Error::NotFound { .. }) => break,
                Err(e) => return Err(e),
            }
        }
        for key in keys {
            self.delete(key.as_ref()).await?;
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
}
