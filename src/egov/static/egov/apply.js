/* Online application (portal/apply): progressive enhancement, the pages work without it.
 *
 * 1. Field checks with the rules the server generated from the procedure's e-form schema
 *    (data-rules on each input: required, formats, lengths, numbers, patterns, and the
 *    server's own messages). The server checks everything again and stays the authority.
 * 2. Commune lists that follow the chosen province (GET /nop-ho-so/xa-phuong/<province>/).
 * 3. Resumable chunked uploads with progress: begin -> chunks with offsets -> on a dropped
 *    connection ask the server what it holds and continue -> finish (size, SHA-256, type).
 * 4. Forms marked data-once submit once (a double click does not post twice).
 */
(function () {
  "use strict";

  var constants = { provinces: [] };

  // --- the same format rules as egov.procedures.eforms / egov.directory.identifiers -------------
  function digits(value) { return value.replace(/[\s.\-]/g, ""); }

  function nationalId(value) {
    if (!/^[0-9]{12}$/.test(value)) { return false; }
    if (constants.provinces.length && constants.provinces.indexOf(value.slice(0, 3)) < 0) {
      return false;
    }
    var century = parseInt(value.charAt(3), 10);
    var year = 1900 + 100 * Math.floor(century / 2) + parseInt(value.slice(4, 6), 10);
    return year <= new Date().getFullYear();
  }

  var TAX_WEIGHTS = [31, 29, 23, 19, 17, 13, 7, 5, 3];
  function taxCode(value) {
    var compact = value.replace(/[\s.]/g, "");
    var m = /^([0-9]{10})(?:-?([0-9]{3}))?$/.exec(compact);
    if (!m) { return false; }
    var main = m[1];
    if (main.slice(2, 9) === "0000000" || m[2] === "000") { return false; }
    var total = 0;
    for (var i = 0; i < 9; i++) { total += TAX_WEIGHTS[i] * parseInt(main.charAt(i), 10); }
    var check = 10 - (total % 11);
    return check < 10 && check === parseInt(main.charAt(9), 10);
  }

  function mobile(value) {
    var d = value.replace(/[\s.\-()]/g, "");
    if (d.indexOf("+84") === 0) { d = "0" + d.slice(3); }
    else if (d.indexOf("84") === 0 && d.length === 11) { d = "0" + d.slice(2); }
    return /^0[35789][0-9]{8}$/.test(d);
  }

  function phone(value) {
    return mobile(value) || /^(?:0|\+84)2[0-9]{9}$/.test(value.replace(/[\s.\-()]/g, ""));
  }

  function realDate(value) {
    if (!/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(value)) { return false; }
    var parts = value.split("-").map(Number);
    var d = new Date(Date.UTC(parts[0], parts[1] - 1, parts[2]));
    return d.getUTCFullYear() === parts[0] && d.getUTCMonth() === parts[1] - 1 &&
      d.getUTCDate() === parts[2];
  }

  var FORMATS = {
    "national-id": [nationalId, "eform.national_id"],
    "tax-code": [function (v) { return taxCode(v) || nationalId(v); }, "eform.tax_code"],
    "phone": [phone, "eform.phone"],
    "mobile": [mobile, "eform.phone"],
    "email": [function (v) { return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v); }, "eform.email"],
    "date": [realDate, "eform.date"],
    "province-code": [function (v) { return /^[0-9]{2}$/.test(v); }, "eform.province"],
    "commune-code": [function (v) { return /^[0-9]{5}$/.test(v); }, "eform.commune"]
  };

  function check(input) {
    var rules;
    try { rules = JSON.parse(input.getAttribute("data-rules") || "{}"); } catch (e) { return ""; }
    var msgs = rules.messages || {};
    var value = input.type === "checkbox" ? (input.checked ? "x" : "") : input.value.trim();
    if (!value) { return rules.required ? (msgs["eform.required"] || "") : ""; }
    if (rules.number) {
      var n = Number(value.replace(",", "."));
      if (!isFinite(n) || (rules.number === "integer" && Math.floor(n) !== n)) {
        return msgs["eform.type"] || "";
      }
      if (rules.minimum !== undefined && n < rules.minimum) { return msgs["eform.minimum"] || ""; }
      if (rules.maximum !== undefined && n > rules.maximum) { return msgs["eform.maximum"] || ""; }
      return "";
    }
    if (rules.minLength && value.length < rules.minLength) { return msgs["eform.min_length"] || ""; }
    if (rules.maxLength && value.length > rules.maxLength) { return msgs["eform.max_length"] || ""; }
    if (rules.pattern) {
      try {
        if (!new RegExp(rules.pattern).test(value)) { return msgs["eform.pattern"] || ""; }
      } catch (e) { /* a pattern JavaScript cannot read: the server decides */ }
    }
    var fmt = rules.format;
    if (fmt === "national-id-or-tax-code") {
      if (digits(value).length === 12) {
        return nationalId(digits(value)) ? "" : (msgs["eform.national_id"] || "");
      }
      return taxCode(value) ? "" : (msgs["eform.tax_code"] || "");
    }
    if (fmt && FORMATS[fmt] && !FORMATS[fmt][0](value)) { return msgs[FORMATS[fmt][1]] || ""; }
    return "";
  }

  function show(input, message) {
    var box = document.getElementById(input.id + "_error");
    if (box) {
      box.textContent = message;
      box.hidden = !message;
    }
    if (message) { input.setAttribute("aria-invalid", "true"); }
    else { input.removeAttribute("aria-invalid"); }
  }

  function summarise(form, problems) {
    var summary = document.getElementById("error-summary");
    if (!summary) { return; }
    var list = summary.querySelector("ul");
    list.textContent = "";
    problems.forEach(function (p) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "#" + p.input.id;
      a.textContent = p.message;
      li.appendChild(a);
      list.appendChild(li);
    });
    summary.hidden = problems.length === 0;
    if (problems.length) { summary.focus(); }
  }

  function setUpChecks(form) {
    var inputs = Array.prototype.slice.call(form.querySelectorAll("[data-rules]"));
    form.setAttribute("novalidate", "novalidate");
    inputs.forEach(function (input) {
      if (input.tagName === "SELECT" || input.type === "checkbox") {
        input.addEventListener("change", function () { show(input, check(input)); });
        return;
      }
      input.addEventListener("blur", function (event) {
        // Leaving the field for a submit button: the submit check shows the message. Showing it
        // now would move the button under the pointer and swallow the click.
        var next = event.relatedTarget;
        if (next && next.type === "submit") { return; }
        show(input, check(input));
      });
    });
    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      if (submitter && submitter.hasAttribute("formnovalidate")) { return; }
      var problems = [];
      inputs.forEach(function (input) {
        var message = check(input);
        show(input, message);
        if (message) { problems.push({ input: input, message: message }); }
      });
      if (problems.length) {
        event.preventDefault();
        summarise(form, problems);
      }
    });
  }

  // --- commune lists ------------------------------------------------------------------------------
  function setUpCommunes(form) {
    var template = form.getAttribute("data-communes-url");
    if (!template) { return; }
    form.querySelectorAll("select[data-province]").forEach(function (province) {
      var scope = province.closest("fieldset") || form;
      var commune = scope.querySelector("select[data-commune]");
      if (!commune) { return; }
      function load() {
        var first = commune.options[0];
        commune.textContent = "";
        commune.appendChild(first);
        if (!province.value) { return; }
        fetch(template.replace("/00/", "/" + encodeURIComponent(province.value) + "/"), {
          credentials: "same-origin"
        }).then(function (r) { return r.ok ? r.json() : { communes: [] }; })
          .then(function (data) {
            data.communes.forEach(function (pair) {
              var option = document.createElement("option");
              option.value = pair[0];
              option.textContent = pair[1];
              commune.appendChild(option);
            });
          });
      }
      province.addEventListener("change", load);
      // A province chosen before this script ran (slow link, restored form) still gets its list.
      if (province.value && commune.options.length <= 1) { load(); }
    });
  }

  // --- resumable uploads --------------------------------------------------------------------------
  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  function sha256(file) {
    if (!window.crypto || !window.crypto.subtle || file.size > 64 * 1024 * 1024) {
      return Promise.resolve("");
    }
    return file.arrayBuffer().then(function (buffer) {
      return window.crypto.subtle.digest("SHA-256", buffer);
    }).then(function (hash) {
      return Array.prototype.map.call(new Uint8Array(hash), function (b) {
        return ("0" + b.toString(16)).slice(-2);
      }).join("");
    }).catch(function () { return ""; });
  }

  function Uploader(form) {
    this.form = form;
    this.base = form.getAttribute("data-upload-url");
    this.chunk = parseInt(form.getAttribute("data-chunk-size"), 10) || 1048576;
    this.maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10) || 0;
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    this.csrf = token ? token.value : "";
  }

  Uploader.prototype.request = function (method, url, body, type) {
    var headers = { "X-CSRFToken": this.csrf, "Accept": "application/json" };
    if (type) { headers["Content-Type"] = type; }
    return fetch(url, { method: method, body: body, headers: headers, credentials: "same-origin" })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          data.httpStatus = response.status;
          return data;
        });
      });
  };

  Uploader.prototype.upload = function (file, documentCode, progress) {
    var self = this;
    return sha256(file).then(function (digest) {
      return self.request("POST", self.base, JSON.stringify({
        document_code: documentCode, name: file.name, size: file.size, sha256: digest
      }), "application/json");
    }).then(function (session) {
      if (session.httpStatus >= 300) { throw new Error(session.message || "upload"); }
      var url = self.base + session.id + "/";
      var offset = 0;
      var failures = 0;
      function next() {
        progress(offset, file.size);
        if (offset >= file.size) {
          return self.request("POST", url + "hoan-tat/", "", "").then(function (done) {
            if (done.httpStatus >= 300) { throw new Error(done.message || "upload"); }
            return done;
          });
        }
        var slice = file.slice(offset, Math.min(file.size, offset + self.chunk));
        return self.request("POST", url + "?offset=" + offset, slice, "application/octet-stream")
          .then(function (answer) {
            if (answer.httpStatus === 200) { failures = 0; offset = answer.received; return next(); }
            if (answer.httpStatus === 409 && answer.received !== undefined) {
              offset = answer.received; return next();
            }
            throw new Error(answer.message || "upload");
          }, function () {
            // The connection dropped: wait, ask the server how much it holds, continue there.
            failures += 1;
            if (failures > 8) { throw new Error("network"); }
            return sleep(Math.min(8000, 500 * Math.pow(2, failures))).then(function () {
              return self.request("GET", url, undefined, "").then(function (status) {
                if (status.received !== undefined) { offset = status.received; }
                return next();
              }, next);
            });
          });
      }
      return next();
    });
  };

  function setUpUploads(form) {
    if (!form.getAttribute("data-upload-url") || !window.fetch || !window.Promise) { return; }
    var uploader = new Uploader(form);
    form.querySelectorAll("[data-upload]").forEach(function (button) {
      var paper = button.closest(".paper");
      var input = paper.querySelector("input[type=file]");
      var bar = paper.querySelector("progress");
      var status = paper.querySelector("[role=status]");
      var error = paper.querySelector(".errorlist");
      button.addEventListener("click", function (event) {
        event.preventDefault();
        var files = Array.prototype.slice.call(input.files || []);
        var select = form.querySelector("select[name=document_code]");
        var code = button.getAttribute("data-upload") || (select ? select.value : "");
        if (error) { error.hidden = true; error.textContent = ""; }
        if (!files.length) { input.focus(); return; }
        var oversize = files.filter(function (f) {
          return uploader.maxBytes && f.size > uploader.maxBytes;
        });
        if (oversize.length) {
          // The server refuses it too; saying it now saves the citizen a long wait.
          if (error) { error.textContent = oversize[0].name + ": " + status.getAttribute("data-too-large"); error.hidden = false; }
        }
        button.disabled = true;
        bar.hidden = false;
        var chain = Promise.resolve();
        files.forEach(function (file) {
          chain = chain.then(function () {
            return uploader.upload(file, code, function (done, total) {
              bar.value = total ? Math.floor((100 * done) / total) : 100;
              status.textContent = file.name + ": " + bar.value + "%";
            });
          });
        });
        chain.then(function () {
          input.value = "";
          var save = form.querySelector("button[name=action][value=save]");
          if (save && form.requestSubmit) { form.requestSubmit(save); }
          else { window.location.reload(); }
        }, function (problem) {
          button.disabled = false;
          bar.hidden = true;
          if (error) { error.textContent = problem.message; error.hidden = false; }
          status.textContent = "";
        });
      });
    });
  }

  function setUpOnce(form) {
    form.addEventListener("submit", function () {
      setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var applyForm = document.getElementById("apply-form");
    if (applyForm) {
      try { constants = JSON.parse(applyForm.getAttribute("data-constants") || "{}"); } catch (e) { /* keep defaults */ }
      constants.provinces = constants.provinces || [];
      setUpChecks(applyForm);
      setUpCommunes(applyForm);
      setUpUploads(applyForm);
    }
    var supplement = document.getElementById("supplement-form");
    if (supplement) { setUpUploads(supplement); setUpOnce(supplement); }
    document.querySelectorAll("form[data-once]").forEach(setUpOnce);
    var summary = document.getElementById("error-summary");
    if (summary && !summary.hidden) { summary.focus(); }
  });
})();
