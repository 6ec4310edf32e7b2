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

    pub async fn delete(&self, key: &str) -> object_store::Result<()> {
        match self.store.delete(&StorePath::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }
}
