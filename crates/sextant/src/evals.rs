//! Eval samples and annotations on the blocking tracker, with luml-sdk 0.4's names.

use std::collections::BTreeMap;

use sextant_core::{
    Annotation, AnnotationSubject, AnnotationSummary, AnnotationTarget, AnnotationValue, EvalPage,
    EvalQuery, EvalSample, EvalSummary, NewAnnotation, Result,
};

use crate::ExperimentTracker;

impl ExperimentTracker {
    /// Buffers one eval sample, replacing an earlier one with the same dataset and id:
    /// `EvalSample::new(id, dataset, inputs).outputs(..).references(..).scores(..)`.
    pub fn log_eval_sample(&self, sample: EvalSample, id: Option<&str>) -> Result<()> {
        self.shared.tracker.log_eval_sample(sample, id).map(|_| ())
    }

    /// Buffers a link from a logged sample to a trace (32 hex digits); once per pair.
    pub fn link_eval_sample_to_trace(
        &self,
        dataset_id: &str,
        eval_id: &str,
        trace_id: &str,
        id: Option<&str>,
    ) -> Result<()> {
        self.shared
            .tracker
            .link_eval_sample_to_trace(dataset_id, eval_id, trace_id, id)
    }

    /// Annotates a logged sample (written at once; returns what was stored).
    pub fn log_eval_annotation(
        &self,
        dataset_id: &str,
        eval_id: &str,
        annotation: NewAnnotation,
        id: Option<&str>,
    ) -> Result<Annotation> {
        let subject = AnnotationSubject::Eval {
            dataset_id: dataset_id.to_string(),
            eval_id: eval_id.to_string(),
        };
        self.shared
            .run(|t| t.log_annotation(subject, annotation, id))
    }

    /// Annotates a stored span (written at once; returns what was stored).
    pub fn log_span_annotation(
        &self,
        trace_id: &str,
        span_id: &str,
        annotation: NewAnnotation,
        id: Option<&str>,
    ) -> Result<Annotation> {
        let subject = AnnotationSubject::Span {
            trace_id: trace_id.to_string(),
            span_id: span_id.to_string(),
        };
        self.shared
            .run(|t| t.log_annotation(subject, annotation, id))
    }

    /// Changes an annotation's value and/or rationale; returns it as stored.
    pub fn update_annotation(
        &self,
        experiment_id: &str,
        annotation_id: &str,
        target: AnnotationTarget,
        value: Option<AnnotationValue>,
        rationale: Option<String>,
    ) -> Result<Annotation> {
        self.shared
            .run(|t| t.update_annotation(experiment_id, annotation_id, target, value, rationale))
    }

    /// Deletes an annotation (an unknown id changes nothing).
    pub fn delete_annotation(
        &self,
        experiment_id: &str,
        annotation_id: &str,
        target: AnnotationTarget,
    ) -> Result<()> {
        self.shared
            .run(|t| t.delete_annotation(experiment_id, annotation_id, target))
    }

    /// One page of samples: dataset, search, score filters, sort, cursor.
    pub fn get_experiment_evals(&self, id: Option<&str>, query: &EvalQuery) -> Result<EvalPage> {
        self.shared.run(|t| t.get_experiment_evals(id, query))
    }

    /// Every sample with its trace ids, by dataset and id.
    pub fn get_experiment_evals_all(&self, id: Option<&str>) -> Result<Vec<EvalSample>> {
        self.shared.run(|t| t.get_experiment_evals_all(id))
    }

    /// One sample, or `None`.
    pub fn get_eval(
        &self,
        id: Option<&str>,
        eval_id: &str,
        dataset_id: Option<&str>,
    ) -> Result<Option<EvalSample>> {
        self.shared.run(|t| t.get_eval(id, eval_id, dataset_id))
    }

    /// The datasets of the experiment's samples, sorted.
    pub fn get_experiment_eval_dataset_ids(&self, id: Option<&str>) -> Result<Vec<String>> {
        self.shared.run(|t| t.get_experiment_eval_dataset_ids(id))
    }

    /// Score averages, overall and per dataset.
    pub fn get_eval_summary(&self, id: Option<&str>) -> Result<EvalSummary> {
        self.shared.run(|t| t.get_eval_summary(id))
    }

    /// Mean of each numeric score over one dataset or all.
    pub fn get_experiment_evals_average_scores(
        &self,
        id: Option<&str>,
        dataset_id: Option<&str>,
    ) -> Result<BTreeMap<String, f64>> {
        self.shared
            .run(|t| t.get_evals_average_scores(id, dataset_id))
    }

    /// Every annotation, by creation time.
    pub fn list_annotations(&self, id: Option<&str>) -> Result<Vec<Annotation>> {
        self.shared.run(|t| t.list_annotations(id))
    }

    /// A sample's annotations, by creation time.
    pub fn get_eval_annotations(
        &self,
        id: Option<&str>,
        dataset_id: &str,
        eval_id: &str,
    ) -> Result<Vec<Annotation>> {
        self.shared
            .run(|t| t.get_eval_annotations(id, dataset_id, eval_id))
    }

    /// A span's annotations, by creation time.
    pub fn get_span_annotations(
        &self,
        id: Option<&str>,
        trace_id: &str,
        span_id: &str,
    ) -> Result<Vec<Annotation>> {
        self.shared
            .run(|t| t.get_span_annotations(id, trace_id, span_id))
    }

    /// A dataset's annotations counted by name.
    pub fn get_eval_annotation_summary(
        &self,
        id: Option<&str>,
        dataset_id: &str,
    ) -> Result<AnnotationSummary> {
        self.shared
            .run(|t| t.get_eval_annotation_summary(id, dataset_id))
    }

    /// A trace's span annotations counted by name.
    pub fn get_trace_annotation_summary(
        &self,
        id: Option<&str>,
        trace_id: &str,
    ) -> Result<AnnotationSummary> {
        self.shared
            .run(|t| t.get_trace_annotation_summary(id, trace_id))
    }
}
