//! The tracker's eval calls (luml-sdk 0.4's names): samples and trace links are buffered
//! like metrics; annotations, their updates and deletes are written at once, since they
//! return what was stored and may target any experiment in the store.

use std::collections::BTreeMap;

use super::Tracker;
use crate::error::Result;
use crate::evals::{EvalPage, EvalQuery, EvalSummary};
use crate::model::{
    Annotation, AnnotationKind, AnnotationSubject, AnnotationSummary, AnnotationTarget,
    AnnotationValue, EvalSample,
};
use crate::store::{Batch, Record};
use crate::validate;

/// An annotation to log: everything but its id, subject and time, which the tracker adds.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAnnotation {
    /// What is judged (`correct`, `relevance`).
    pub name: String,
    /// Feedback (value must be a bool) or expectation.
    pub kind: AnnotationKind,
    /// The value; its type is the annotation's `value_type`.
    pub value: AnnotationValue,
    /// Who made it.
    pub user: String,
    /// Why.
    pub rationale: Option<String>,
}

impl Tracker {
    /// Buffers an eval sample (see [`Record::EvalSample`]); empty `outputs`, `refs`,
    /// `scores` or `metadata` are stored as none, as luml does. Returns "flush due".
    pub fn log_eval_sample(&self, sample: EvalSample, id: Option<&str>) -> Result<bool> {
        validate::label("eval id", &sample.id)?;
        validate::label("dataset id", &sample.dataset_id)?;
        let now = self.env.now_unix_millis();
        let sample = EvalSample {
            outputs: sample.outputs.filter(|m| !m.is_empty()),
            refs: sample.refs.filter(|m| !m.is_empty()),
            scores: sample.scores.filter(|m| !m.is_empty()),
            metadata: sample.metadata.filter(|m| !m.is_empty()),
            created_at: now,
            updated_at: now,
            trace_ids: Vec::new(),
            annotations: None,
            ..sample
        };
        let mut state = self.lock()?;
        let run = state.run_mut(id)?;
        run.evals.push(Record::EvalSample {
            experiment: run.id.clone(),
            sample,
        });
        state.mark_buffered(now, 1);
        Ok(state.buffered_points >= self.policy.max_buffered_points)
    }

    /// Buffers a link from a logged sample to a trace (see [`Record::EvalTraceLink`]).
    pub fn link_eval_sample_to_trace(
        &self,
        dataset_id: &str,
        eval_id: &str,
        trace_id: &str,
        id: Option<&str>,
    ) -> Result<()> {
        validate::label("dataset id", dataset_id)?;
        validate::label("eval id", eval_id)?;
        validate::trace_id(trace_id)?;
        let now = self.env.now_unix_millis();
        let link_id = self.env.new_uuid();
        let mut state = self.lock()?;
        let run = state.run_mut(id)?;
        run.evals.push(Record::EvalTraceLink {
            experiment: run.id.clone(),
            id: link_id,
            dataset_id: dataset_id.to_string(),
            eval_id: eval_id.to_string(),
            trace_id: trace_id.to_string(),
            created_at: now,
        });
        state.mark_buffered(now, 1);
        Ok(())
    }

    /// Annotates a sample or span of experiment `id` (the current one when `None`; any
    /// experiment in the store otherwise) and returns what was stored. Flushes first, so
    /// a sample logged just before can be annotated.
    pub async fn log_annotation(
        &self,
        subject: AnnotationSubject,
        new: NewAnnotation,
        id: Option<&str>,
    ) -> Result<Annotation> {
        let experiment = self.lock()?.resolve(id)?;
        let annotation = Annotation {
            id: self.env.new_uuid(),
            subject,
            name: new.name,
            annotation_kind: new.kind,
            value_type: new.value.value_type(),
            value: new.value,
            user: new.user,
            rationale: new.rationale,
            created_at: self.env.now_unix_millis(),
        };
        validate::annotation(&annotation)?;
        self.flush().await?;
        self.store
            .write(&Batch {
                records: vec![Record::Annotation {
                    experiment,
                    annotation: annotation.clone(),
                }],
            })
            .await?;
        Ok(annotation)
    }

    /// Changes an annotation's value and/or rationale and returns it as stored.
    /// Errors: [`crate::Error::InvalidInput`] when neither is given, the annotation does not
    /// exist, or the value is not of its type.
    pub async fn update_annotation(
        &self,
        id: &str,
        annotation_id: &str,
        target: AnnotationTarget,
        value: Option<AnnotationValue>,
        rationale: Option<String>,
    ) -> Result<Annotation> {
        validate::experiment_id(id)?;
        self.flush().await?;
        self.store
            .write(&Batch {
                records: vec![Record::UpdateAnnotation {
                    experiment: id.to_string(),
                    target,
                    id: annotation_id.to_string(),
                    value,
                    rationale,
                }],
            })
            .await?;
        self.store
            .list_annotations(id)
            .await?
            .into_iter()
            .find(|a| a.id == annotation_id && a.subject.target() == target)
            .ok_or_else(|| crate::evals::annotation_not_found(id, target, annotation_id))
    }

    /// Deletes an annotation; an unknown id changes nothing.
    pub async fn delete_annotation(
        &self,
        id: &str,
        annotation_id: &str,
        target: AnnotationTarget,
    ) -> Result<()> {
        validate::experiment_id(id)?;
        self.flush().await?;
        self.store
            .write(&Batch {
                records: vec![Record::DeleteAnnotation {
                    experiment: id.to_string(),
                    target,
                    id: annotation_id.to_string(),
                }],
            })
            .await
    }

    /// One page of an experiment's samples (luml's `get_experiment_evals`).
    pub async fn get_experiment_evals(
        &self,
        id: Option<&str>,
        query: &EvalQuery,
    ) -> Result<EvalPage> {
        let id = self.lock()?.resolve(id)?;
        self.flush().await?;
        self.store.eval_page(&id, query).await
    }

    /// Every sample of an experiment, with trace ids (luml's `get_experiment_evals_all`,
    /// unsorted: by dataset id, then id).
    pub async fn get_experiment_evals_all(&self, id: Option<&str>) -> Result<Vec<EvalSample>> {
        let id = self.lock()?.resolve(id)?;
        self.flush().await?;
        self.store.list_eval_samples(&id).await
    }

    /// One sample by id (in `dataset_id`, or the first dataset holding it), or `None`.
    pub async fn get_eval(
        &self,
        id: Option<&str>,
        eval_id: &str,
        dataset_id: Option<&str>,
    ) -> Result<Option<EvalSample>> {
        Ok(self
            .get_experiment_evals_all(id)
            .await?
            .into_iter()
            .find(|s| s.id == eval_id && dataset_id.is_none_or(|d| s.dataset_id == d)))
    }

    /// The dataset ids of an experiment's samples, sorted.
    pub async fn get_experiment_eval_dataset_ids(&self, id: Option<&str>) -> Result<Vec<String>> {
        let mut ids: Vec<String> = self
            .get_experiment_evals_all(id)
            .await?
            .into_iter()
            .map(|s| s.dataset_id)
            .collect();
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    /// Score averages over an experiment's samples, overall and per dataset.
    pub async fn get_eval_summary(&self, id: Option<&str>) -> Result<EvalSummary> {
        let id = self.lock()?.resolve(id)?;
        self.flush().await?;
        self.store.eval_summary(&id).await
    }

    /// Mean of each numeric score, over one dataset or all (luml's
    /// `get_experiment_evals_average_scores`).
    pub async fn get_evals_average_scores(
        &self,
        id: Option<&str>,
        dataset_id: Option<&str>,
    ) -> Result<BTreeMap<String, f64>> {
        let summary = self.get_eval_summary(id).await?;
        Ok(match dataset_id {
            None => summary.overall.averages,
            Some(d) => summary
                .datasets
                .into_iter()
                .find(|s| s.dataset_id.as_deref() == Some(d))
                .map(|s| s.averages)
                .unwrap_or_default(),
        })
    }

    /// Every annotation of an experiment, by creation time.
    pub async fn list_annotations(&self, id: Option<&str>) -> Result<Vec<Annotation>> {
        let id = self.lock()?.resolve(id)?;
        self.flush().await?;
        self.store.list_annotations(&id).await
    }

    /// The annotations of one sample, by creation time.
    pub async fn get_eval_annotations(
        &self,
        id: Option<&str>,
        dataset_id: &str,
        eval_id: &str,
    ) -> Result<Vec<Annotation>> {
        let subject = AnnotationSubject::Eval {
            dataset_id: dataset_id.to_string(),
            eval_id: eval_id.to_string(),
        };
        self.annotations_on(id, &subject).await
    }

    /// The annotations of one span, by creation time.
    pub async fn get_span_annotations(
        &self,
        id: Option<&str>,
        trace_id: &str,
        span_id: &str,
    ) -> Result<Vec<Annotation>> {
        let subject = AnnotationSubject::Span {
            trace_id: trace_id.to_string(),
            span_id: span_id.to_string(),
        };
        self.annotations_on(id, &subject).await
    }

    async fn annotations_on(
        &self,
        id: Option<&str>,
        subject: &AnnotationSubject,
    ) -> Result<Vec<Annotation>> {
        let mut all = self.list_annotations(id).await?;
        all.retain(|a| a.subject == *subject);
        Ok(all)
    }

    /// The annotations on a dataset's samples, counted by name (luml's
    /// `get_eval_annotation_summary`).
    pub async fn get_eval_annotation_summary(
        &self,
        id: Option<&str>,
        dataset_id: &str,
    ) -> Result<AnnotationSummary> {
        let all = self.list_annotations(id).await?;
        Ok(crate::evals::annotation_summary(all.iter().filter(|a| {
            matches!(&a.subject, AnnotationSubject::Eval { dataset_id: d, .. } if d == dataset_id)
        })))
    }

    /// The annotations on a trace's spans, counted by name (luml's
    /// `get_trace_annotation_summary`).
    pub async fn get_trace_annotation_summary(
        &self,
        id: Option<&str>,
        trace_id: &str,
    ) -> Result<AnnotationSummary> {
        let all = self.list_annotations(id).await?;
        Ok(crate::evals::annotation_summary(all.iter().filter(
            |a| matches!(&a.subject, AnnotationSubject::Span { trace_id: t, .. } if t == trace_id),
        )))
    }
}
