//! What a merge would meet: GetMergeOptions, GetMergeConflicts and the (batch) conflict
//! descriptions with their hunks.

use super::*;

fn hunk_detail(lines: &[&[u8]], range: &std::ops::Range<usize>) -> MergeHunkDetail {
    let content: Vec<u8> = lines[range.clone()].concat();
    MergeHunkDetail {
        start_line: Some(range.start as i32),
        end_line: Some(range.end as i32),
        hunk_content: Some(base64::engine::general_purpose::STANDARD.encode(content)),
    }
}

/// The three texts of a path (missing or non-file sides are empty).
fn texts(o: &Opened, c: &Conflict) -> ApiResult<[Vec<u8>; 3]> {
    let read = |e: Option<Entry>| -> ApiResult<Vec<u8>> {
        match e {
            Some(e) if e.is_blob_like() => read_blob(&o.repo, e.id),
            _ => Ok(Vec::new()),
        }
    };
    Ok([read(c.base)?, read(c.source)?, read(c.destination)?])
}

fn merge_hunks(o: &Opened, c: &Conflict) -> ApiResult<Vec<MergeHunk>> {
    let Some(d3) = &c.lines else {
        return Ok(Vec::new());
    };
    let [b, s, d] = texts(o, c)?;
    let (bl, sl, dl) = (
        linediff::split_lines(&b),
        linediff::split_lines(&s),
        linediff::split_lines(&d),
    );
    Ok(d3
        .chunks
        .iter()
        .map(|ch| MergeHunk {
            is_conflict: Some(ch.kind == merge::ChunkKind::Conflict),
            base: Some(hunk_detail(&bl, &ch.base)),
            source: Some(hunk_detail(&sl, &ch.source)),
            destination: Some(hunk_detail(&dl, &ch.destination)),
        })
        .collect())
}

fn conflict_metadata(o: &Opened, c: &Conflict) -> ApiResult<ConflictMetadata> {
    let obj = |e: &Option<Entry>| {
        e.map(|e| match merge::obj_type(&e) {
            ObjType::File => ObjectTypeEnum::File,
            ObjType::Directory => ObjectTypeEnum::Directory,
            ObjType::GitLink => ObjectTypeEnum::GitLink,
            ObjType::SymbolicLink => ObjectTypeEnum::SymbolicLink,
        })
    };
    let mode = |e: &Option<Entry>| e.filter(Entry::is_blob_like).map(|e| mode_enum(e.kind));
    let size = |e: &Option<Entry>| -> ApiResult<Option<i64>> {
        match e {
            Some(e) if e.is_blob_like() => Ok(Some(object_size(&o.repo, e.id)? as i64)),
            _ => Ok(None),
        }
    };
    let binary = |e: &Option<Entry>| -> ApiResult<bool> {
        match e {
            Some(e) if e.is_blob_like() => Ok(linediff::is_binary(&read_blob(&o.repo, e.id)?)),
            _ => Ok(false),
        }
    };
    // What each side did to the file since the merge base; a side that left it as it was
    // did no operation, and has none listed (a file can be described without conflicting).
    let op = |side: &Option<Entry>| match (&c.base, side) {
        (None, None) => None,
        (None, Some(_)) => Some(ChangeTypeEnum::A),
        (Some(_), None) => Some(ChangeTypeEnum::D),
        (Some(b), Some(s)) if b == s => None,
        _ => Some(ChangeTypeEnum::M),
    };
    Ok(ConflictMetadata {
        file_path: Some(c.path.clone()),
        file_sizes: Some(FileSizes {
            source: size(&c.source)?,
            destination: size(&c.destination)?,
            base: size(&c.base)?,
        }),
        file_modes: Some(FileModes {
            source: mode(&c.source),
            destination: mode(&c.destination),
            base: mode(&c.base),
        }),
        object_types: Some(ObjectTypes {
            source: obj(&c.source),
            destination: obj(&c.destination),
            base: obj(&c.base),
        }),
        number_of_conflicts: Some(c.number_of_conflicts() as i32),
        is_binary_file: Some(IsBinaryFile {
            source: Some(binary(&c.source)?),
            destination: Some(binary(&c.destination)?),
            base: Some(binary(&c.base)?),
        }),
        content_conflict: Some(c.content),
        file_mode_conflict: Some(c.mode),
        object_type_conflict: Some(c.object_type),
        merge_operations: Some(MergeOperations {
            source: op(&c.source),
            destination: op(&c.destination),
        }),
    })
}

pub fn get_merge_options(
    ctx: &Ctx<'_>,
    input: GetMergeOptionsInput,
) -> ApiResult<GetMergeOptionsOutput> {
    let o = ctx.open_repo(&input.repository_name)?;
    let ep = endpoints(
        &o,
        &input.source_commit_specifier,
        &input.destination_commit_specifier,
        None,
    )?;
    let level = level(&input.conflict_detail_level)?;
    let strategy = strategy(&input.conflict_resolution_strategy)?;
    let mut options = Vec::new();
    if ep.fast_forwardable() {
        options.push(MergeOptionTypeEnum::FastForwardMerge);
    }
    let analysis = analyze(&o, &ep, level)?;
    if analysis.conflicts.iter().all(|c| settled_by(&strategy, c)) {
        options.push(MergeOptionTypeEnum::SquashMerge);
        options.push(MergeOptionTypeEnum::ThreeWayMerge);
    }
    Ok(GetMergeOptionsOutput {
        merge_options: Some(options),
        source_commit_id: Some(ep.source.to_string()),
        destination_commit_id: Some(ep.destination.to_string()),
        base_commit_id: Some(ep.base.map(|b| b.to_string()).unwrap_or_default()),
    })
}

pub fn get_merge_conflicts(
    ctx: &Ctx<'_>,
    input: GetMergeConflictsInput,
) -> ApiResult<GetMergeConflictsOutput> {
    let o = ctx.open_repo(&input.repository_name)?;
    let option = merge_option(&input.merge_option)?;
    let level = level(&input.conflict_detail_level)?;
    let strategy = strategy(&input.conflict_resolution_strategy)?;
    let page = match input.max_conflict_files {
        None => CONFLICT_FILES_PAGE,
        Some(n) if n >= 1 => n as usize,
        Some(n) => bail!(
            InvalidMaxConflictFiles,
            "The specified maximum number of conflict files is not valid: {n}."
        ),
    };
    let ep = endpoints(
        &o,
        &input.source_commit_specifier,
        &input.destination_commit_specifier,
        Some((
            ErrorCode::InvalidSourceCommitSpecifier,
            ErrorCode::InvalidDestinationCommitSpecifier,
        )),
    )?;
    let kind = format!("merge-conflicts/{}/{}", ep.source, ep.destination);
    let start = paginate::decode_index(&kind, &input.next_token)?;
    if option == MergeOptionTypeEnum::FastForwardMerge {
        return Ok(GetMergeConflictsOutput {
            mergeable: Some(ep.fast_forwardable()),
            destination_commit_id: Some(ep.destination.to_string()),
            source_commit_id: Some(ep.source.to_string()),
            base_commit_id: None,
            conflict_metadata_list: Some(Vec::new()),
            next_token: None,
        });
    }
    let analysis = analyze(&o, &ep, level)?;
    let mergeable = analysis.conflicts.iter().all(|c| settled_by(&strategy, c));
    if start > analysis.conflicts.len() {
        bail!(
            InvalidContinuationToken,
            "The continuation token is not valid."
        )
    }
    let end = (start + page).min(analysis.conflicts.len());
    let list = analysis.conflicts[start..end]
        .iter()
        .map(|c| conflict_metadata(&o, c))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(GetMergeConflictsOutput {
        mergeable: Some(mergeable),
        destination_commit_id: Some(ep.destination.to_string()),
        source_commit_id: Some(ep.source.to_string()),
        base_commit_id: ep.base.map(|b| b.to_string()),
        conflict_metadata_list: Some(list),
        next_token: (end < analysis.conflicts.len())
            .then(|| paginate::encode(&kind, &end.to_string())),
    })
}

/// The conflict record for one path: the real conflict, or — for a path that merges cleanly —
/// its three sides with no conflict flags, so it can still be described.
fn describe_path(
    o: &Opened,
    ep: &Endpoints,
    analysis: &Analysis,
    path: &str,
) -> ApiResult<Option<Conflict>> {
    if let Some(c) = analysis.conflicts.iter().find(|c| c.path == path) {
        return Ok(Some(c.clone()));
    }
    let tree = |c: Option<ObjectId>| -> ApiResult<Option<Entry>> {
        match c {
            Some(c) => entry_at(&o.repo, objects::commit_tree(&o.repo, c)?, path),
            None => Ok(None),
        }
    };
    let (b, s, d) = (
        tree(ep.base)?,
        tree(Some(ep.source))?,
        tree(Some(ep.destination))?,
    );
    if b.is_none() && s.is_none() && d.is_none() {
        return Ok(None);
    }
    let text = |e: Option<Entry>| -> ApiResult<Option<Vec<u8>>> {
        match e {
            Some(e) if e.is_blob_like() => Ok(Some(read_blob(&o.repo, e.id)?)),
            _ => Ok(None),
        }
    };
    let lines = match (text(b)?, text(s)?, text(d)?) {
        (bt, Some(st), Some(dt)) if ![&st, &dt].iter().any(|t| linediff::is_binary(t)) => {
            Some(merge::diff3(&bt.unwrap_or_default(), &st, &dt))
        }
        _ => None,
    };
    Ok(Some(Conflict {
        path: path.to_owned(),
        base: b,
        source: s,
        destination: d,
        content: false,
        mode: false,
        object_type: false,
        lines,
        merged_kind: None,
    }))
}

pub(super) fn three_way_only(option: &MergeOptionTypeEnum) -> ApiResult<()> {
    if *option == MergeOptionTypeEnum::FastForwardMerge {
        bail!(
            InvalidMergeOption,
            "The specified merge option is not valid for this operation. Not all merge strategies are supported for all operations."
        )
    }
    Ok(())
}

pub fn describe_merge_conflicts(
    ctx: &Ctx<'_>,
    input: DescribeMergeConflictsInput,
) -> ApiResult<DescribeMergeConflictsOutput> {
    let o = ctx.open_repo(&input.repository_name)?;
    let option = merge_option(&input.merge_option)?;
    three_way_only(&option)?;
    let level = level(&input.conflict_detail_level)?;
    strategy(&input.conflict_resolution_strategy)?;
    let path = validate::file_path(&input.file_path)?;
    let page = match input.max_merge_hunks {
        None => MERGE_HUNKS_PAGE,
        Some(n) if n >= 1 => n as usize,
        Some(n) => bail!(
            InvalidMaxMergeHunks,
            "The specified maximum number of merge hunks is not valid: {n}."
        ),
    };
    let ep = endpoints(
        &o,
        &input.source_commit_specifier,
        &input.destination_commit_specifier,
        None,
    )?;
    let kind = format!("merge-hunks/{}/{}/{path}", ep.source, ep.destination);
    let start = paginate::decode_index(&kind, &input.next_token)?;
    let analysis = analyze(&o, &ep, level)?;
    let Some(c) = describe_path(&o, &ep, &analysis, &path)? else {
        bail!(
            FileDoesNotExist,
            "The file {path} does not exist in the source, destination or base commit."
        )
    };
    let hunks = merge_hunks(&o, &c)?;
    if start > hunks.len() {
        bail!(
            InvalidContinuationToken,
            "The continuation token is not valid."
        )
    }
    let end = (start + page).min(hunks.len());
    Ok(DescribeMergeConflictsOutput {
        conflict_metadata: Some(conflict_metadata(&o, &c)?),
        merge_hunks: Some(hunks[start..end].to_vec()),
        next_token: (end < hunks.len()).then(|| paginate::encode(&kind, &end.to_string())),
        destination_commit_id: Some(ep.destination.to_string()),
        source_commit_id: Some(ep.source.to_string()),
        base_commit_id: ep.base.map(|b| b.to_string()),
    })
}

pub fn batch_describe_merge_conflicts(
    ctx: &Ctx<'_>,
    input: BatchDescribeMergeConflictsInput,
) -> ApiResult<BatchDescribeMergeConflictsOutput> {
    let o = ctx.open_repo(&input.repository_name)?;
    let option = merge_option(&input.merge_option)?;
    three_way_only(&option)?;
    let level = level(&input.conflict_detail_level)?;
    strategy(&input.conflict_resolution_strategy)?;
    let files_page = match input.max_conflict_files {
        None => CONFLICT_FILES_PAGE,
        Some(n) if n >= 1 => n as usize,
        Some(n) => bail!(
            InvalidMaxConflictFiles,
            "The specified maximum number of conflict files is not valid: {n}."
        ),
    };
    let hunks_page = match input.max_merge_hunks {
        None => MERGE_HUNKS_PAGE,
        Some(n) if n >= 1 => n as usize,
        Some(n) => bail!(
            InvalidMaxMergeHunks,
            "The specified maximum number of merge hunks is not valid: {n}."
        ),
    };
    let filter: Option<Vec<String>> = match input.file_paths {
        Some(paths) if !paths.is_empty() => Some(
            paths
                .iter()
                .map(|p| validate::file_path(&Some(p.clone())))
                .collect::<ApiResult<_>>()?,
        ),
        _ => None,
    };
    let ep = endpoints(
        &o,
        &input.source_commit_specifier,
        &input.destination_commit_specifier,
        None,
    )?;
    let kind = format!("batch-merge-conflicts/{}/{}", ep.source, ep.destination);
    let start = paginate::decode_index(&kind, &input.next_token)?;
    let analysis = analyze(&o, &ep, level)?;
    let mut errors = Vec::new();
    let selected: Vec<&Conflict> = match &filter {
        None => analysis.conflicts.iter().collect(),
        Some(paths) => {
            for p in paths {
                if describe_path(&o, &ep, &analysis, p)?.is_none() {
                    errors.push(BatchDescribeMergeConflictsError {
                        file_path: Some(p.clone()),
                        exception_name: Some(ErrorCode::FileDoesNotExist.name().to_owned()),
                        message: Some(format!(
                            "The file {p} does not exist in the source, destination or base commit."
                        )),
                    });
                }
            }
            analysis
                .conflicts
                .iter()
                .filter(|c| paths.contains(&c.path))
                .collect()
        }
    };
    if start > selected.len() {
        bail!(
            InvalidContinuationToken,
            "The continuation token is not valid."
        )
    }
    let end = (start + files_page).min(selected.len());
    let mut conflicts = Vec::new();
    for c in &selected[start..end] {
        let mut hunks = merge_hunks(&o, c)?;
        hunks.truncate(hunks_page);
        conflicts.push(codecommit_model::shapes::Conflict {
            conflict_metadata: Some(conflict_metadata(&o, c)?),
            merge_hunks: Some(hunks),
        });
    }
    Ok(BatchDescribeMergeConflictsOutput {
        conflicts: Some(conflicts),
        errors: Some(errors),
        next_token: (end < selected.len()).then(|| paginate::encode(&kind, &end.to_string())),
        destination_commit_id: Some(ep.destination.to_string()),
        source_commit_id: Some(ep.source.to_string()),
        base_commit_id: ep.base.map(|b| b.to_string()),
    })
}
